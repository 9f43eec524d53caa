/**
 * Group commit on PostgreSQL, the same contract as sqlite/group-commit.ts:
 * operations queued in one turn of the event loop run in one transaction on
 * one pooled connection, each resolves after COMMIT, and a throwing one is
 * isolated by running the batch again with a savepoint per operation. The
 * connection is handed to the operations' repo calls through
 * AsyncLocalStorage (executor.ts). Unlike SQLite's, a batch here waits on a
 * network round trip per statement, so up to `concurrency` batches run at once
 * on their own connections (more batches form while they commit, so they still
 * grow with load). Operations that depend on each other are issued one after
 * the other's commit, and two that touch one message serialize on its row
 * lock (status-writer.ts), so commit order across batches does not matter.
 *
 * A server that stops answering (hung, or unreachable without a reset) must not hold requests for good: every
 * statement before COMMIT has `queryTimeoutMs`, after which the batch fails as STORE_UNAVAILABLE and its connection
 * is destroyed, so the server rolls the transaction back whenever it reads again (it never saw a COMMIT). A COMMIT
 * that has been sent is waited for, however long: only its answer tells whether it committed, and answering "try
 * later" for a message that then commits would have the client send it twice. When the connection breaks instead of
 * answering, the transaction's marker row tells (markerCommitted). A batch that has not finished within STALLED_MS no
 * longer holds the next one back (docs/decisions/0124-hung-database.md).
 */
import { randomUUID } from 'node:crypto';
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolClient } from 'pg';
import { DeferTimer } from '../defer-timer.js';
import type { Logger } from '../../shared/log.js';
import type { Committer } from '../sql.js';
import type { TxConnection } from './executor.js';
import { isUnavailable, storeError } from './errors.js';

type Operation<T> = () => T | Promise<T>;

/** Operations waiting before another batch starts beside the ones committing. */
const PARALLEL_BACKLOG = 64;
/** A batch committing longer than this is stuck, not busy: the next one starts beside it whatever the backlog. */
const STALLED_MS = 1000;
/** Commit markers older than this are deleted, by a batch at most this often. */
const MARKER_KEEP_MS = 60 * 60_000;
const MARKER_PRUNE_EVERY_MS = 10 * 60_000;
/** SQLSTATE unique_violation (PostgreSQL Appendix A). */
const UNIQUE_VIOLATION = '23505';

interface Pending {
  op: Operation<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: boolean; value: unknown };

export class PgCommitter implements Committer {
  /** Batches commit side by side, on connections of their own. */
  readonly serial = false;
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly deferTimer = new DeferTimer(() => this.schedule());
  /** The batches writing now, with when each started (performance.now()). */
  private readonly writing = new Map<Promise<void>, number>();
  private readonly concurrency: number;
  private lastMarkerPrune = 0;

  constructor(
    private readonly pool: Pool,
    private readonly tx: AsyncLocalStorage<TxConnection>,
    private readonly options: {
      maxBatch?: number;
      concurrency?: number;
      onCommit?: (batchSize: number, ms: number) => void;
      /** Longest wait for a statement's answer before COMMIT (none: wait as long as it takes). */
      queryTimeoutMs?: number;
      /** Told of a COMMIT unanswered for queryTimeoutMs (the batch still waits for it). */
      log?: Logger;
    } = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  run<T>(op: Operation<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  defer<T>(op: Operation<T>, maxDelayMs = 1000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled && this.writing.size === 0) this.deferTimer.arm(maxDelayMs);
    });
  }

  get depth(): number {
    return this.queue.length;
  }

  async flushNow(): Promise<void> {
    while (this.writing.size > 0 || this.queue.length > 0) {
      if (this.queue.length > 0 && this.writing.size < this.concurrency) void this.write();
      else await Promise.race(this.writing.keys());
    }
  }

  private schedule(): void {
    if (this.scheduled || this.writing.size >= this.concurrency) return;
    // A second batch at once only for a backlog (small batches side by side cost a commit each for nothing) or
    // when the one writing is stuck on a server that does not answer.
    if (this.writing.size > 0 && this.queue.length < PARALLEL_BACKLOG && !this.stalled()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.queue.length > 0 && this.writing.size < this.concurrency) void this.write();
    });
  }

  private stalled(): boolean {
    const now = performance.now();
    for (const started of this.writing.values()) if (now - started > STALLED_MS) return true;
    return false;
  }

  private write(): Promise<void> {
    const started = performance.now();
    const writing: Promise<void> = this.flushBatch().finally(() => {
      this.writing.delete(writing);
      if (this.queue.length > 0) this.schedule();
    });
    this.writing.set(writing, started);
    return writing;
  }

  private async flushBatch(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch ?? 2000);
    if (batch.length === 0) return;
    const started = performance.now();
    let outcomes: Outcome[];
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      for (const item of batch) item.reject(storeError(err));
      return;
    }
    let broken = false;
    try {
      try {
        outcomes = await this.runBatch(client, batch, false);
      } catch (err) {
        // The server or the connection failed, not an operation: running the batch again cannot help.
        if (isUnavailable(err)) throw err;
        outcomes = await this.runBatch(client, batch, true);
      }
    } catch (err) {
      broken = true; // the connection failed: do not hand it out again
      for (const item of batch) item.reject(storeError(err));
      return;
    } finally {
      client.release(broken);
    }
    this.options.onCommit?.(batch.length, performance.now() - started);
    batch.forEach((item, i) => (outcomes[i]!.ok ? item.resolve(outcomes[i]!.value) : item.reject(outcomes[i]!.value)));
  }

  /** One transaction for the batch; `isolated`: a savepoint per operation, so a throwing one rolls back alone. */
  private async runBatch(client: PoolClient, batch: Pending[], isolated: boolean): Promise<Outcome[]> {
    const connection: TxConnection = { client, open: true };
    const marker = randomUUID();
    await this.statement(client, 'BEGIN');
    try {
      await this.statement(client, 'INSERT INTO commit_markers (id, at) VALUES ($1, $2)', [marker, Date.now()]);
      if (Date.now() - this.lastMarkerPrune > MARKER_PRUNE_EVERY_MS) {
        this.lastMarkerPrune = Date.now();
        await this.statement(client, 'DELETE FROM commit_markers WHERE at < $1', [Date.now() - MARKER_KEEP_MS]);
      }
      const outcomes: Outcome[] = [];
      for (const item of batch) {
        if (!isolated) {
          outcomes.push({ ok: true, value: await this.tx.run(connection, item.op) });
          continue;
        }
        await this.statement(client, 'SAVEPOINT op');
        try {
          outcomes.push({ ok: true, value: await this.tx.run(connection, item.op) });
          await this.statement(client, 'RELEASE SAVEPOINT op');
        } catch (err) {
          if (isUnavailable(err)) throw err;
          await this.statement(client, 'ROLLBACK TO SAVEPOINT op');
          outcomes.push({ ok: false, value: err });
        }
      }
      await this.commit(client, batch.length, marker);
      return outcomes;
    } catch (err) {
      // On a connection that failed or timed out a ROLLBACK would queue behind the unanswered statement for good;
      // destroying the connection (the caller does) rolls the transaction back just as well.
      if (!isUnavailable(err)) await this.statement(client, 'ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      connection.open = false;
    }
  }

  /** One of the committer's own statements (never COMMIT): bounded by queryTimeoutMs, failing as STORE_UNAVAILABLE. */
  private async statement(client: PoolClient | Pool, text: string, values?: unknown[]): Promise<void> {
    try {
      const query = { text, values, query_timeout: this.options.queryTimeoutMs }; // node-postgres reads it, its types do not say so
      await client.query(query);
    } catch (err) {
      throw storeError(err);
    }
  }

  /**
   * Whether the transaction that wrote `marker` committed, after its connection broke with the COMMIT sent (the
   * server restarted, or the network failed, right then). Inserting the same marker again answers it: the insert
   * waits until that transaction has ended one way or the other, then fails on the key if it committed and succeeds
   * if it did not — and then no late commit can count either. The old backend is asked to end first if it sits idle
   * in its transaction, waiting on a connection only its side thinks is open (should the pid have been reused
   * meanwhile, only by another telenode connection, whose own committer then goes through this same check). While the
   * server does not answer, this asks again; the batch's requests wait for the answer, as for a COMMIT unanswered.
   */
  private async markerCommitted(marker: string, backendPid: number | undefined): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (backendPid) {
          await this.statement(
            this.pool,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND state LIKE 'idle in transaction%' AND application_name LIKE 'telenode%'",
            [backendPid],
          );
        }
        await this.statement(this.pool, 'INSERT INTO commit_markers (id, at) VALUES ($1, $2)', [marker, Date.now()]);
        return false;
      } catch (err) {
        if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) return true;
        if (!isUnavailable(err)) throw err;
        if (attempt === 0) this.options.log?.warn({ err }, 'the connection broke after a COMMIT was sent; asking PostgreSQL whether it committed');
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 100 * 2 ** attempt)));
      }
    }
  }

  /** COMMIT, waited for as long as it takes (see the header); a long wait is logged once. */
  private async commit(client: PoolClient, operations: number, marker: string): Promise<void> {
    const timeoutMs = this.options.queryTimeoutMs;
    const started = performance.now();
    const warning =
      timeoutMs === undefined || !this.options.log
        ? null
        : setTimeout(
            () =>
              this.options.log!.warn(
                { operations, waitedMs: timeoutMs },
                'PostgreSQL has not answered a COMMIT; its requests wait for the answer, which alone says whether it committed',
              ),
            timeoutMs,
          );
    warning?.unref();
    let answered = false;
    try {
      await client.query('COMMIT');
      answered = true;
    } catch (err) {
      if (warning) clearTimeout(warning); // what follows is logged on its own
      const failure = storeError(err);
      // The server refused the COMMIT (a serialization failure, a deferred constraint): nothing committed.
      if (!isUnavailable(failure)) throw failure;
      // The connection failed with the COMMIT sent: committed or not, only the marker can say.
      const backendPid = (client as unknown as { processID?: number }).processID;
      if (await this.markerCommitted(marker, backendPid)) {
        this.options.log?.warn({ operations }, 'the connection broke after a COMMIT was sent; PostgreSQL had committed it');
        return;
      }
      throw failure;
    } finally {
      if (warning) clearTimeout(warning);
      const waited = performance.now() - started;
      if (answered && timeoutMs !== undefined && waited > timeoutMs) {
        this.options.log?.warn({ operations, waitedMs: Math.round(waited) }, 'PostgreSQL answered the COMMIT after a long wait');
      }
    }
  }
}
