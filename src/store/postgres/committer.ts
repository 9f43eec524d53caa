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
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolClient } from 'pg';
import { DeferTimer } from '../defer-timer.js';
import type { Committer } from '../sql.js';
import type { TxConnection } from './executor.js';
import { storeError } from './errors.js';

type Operation<T> = () => T | Promise<T>;

/** Operations waiting before another batch starts beside the ones committing. */
const PARALLEL_BACKLOG = 64;

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
  private readonly writing = new Set<Promise<void>>();
  private readonly concurrency: number;

  constructor(
    private readonly pool: Pool,
    private readonly tx: AsyncLocalStorage<TxConnection>,
    private readonly options: { maxBatch?: number; concurrency?: number; onCommit?: (batchSize: number, ms: number) => void } = {},
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
      else await Promise.race(this.writing);
    }
  }

  private schedule(): void {
    if (this.scheduled || this.writing.size >= this.concurrency) return;
    // A second batch at once only for a backlog: small batches side by side cost a commit each for nothing.
    if (this.writing.size > 0 && this.queue.length < PARALLEL_BACKLOG) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.queue.length > 0 && this.writing.size < this.concurrency) void this.write();
    });
  }

  private write(): Promise<void> {
    const writing: Promise<void> = this.flushBatch().finally(() => {
      this.writing.delete(writing);
      if (this.queue.length > 0) this.schedule();
    });
    this.writing.add(writing);
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
      } catch {
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
    await client.query('BEGIN');
    try {
      const outcomes: Outcome[] = [];
      for (const item of batch) {
        if (!isolated) {
          outcomes.push({ ok: true, value: await this.tx.run(connection, item.op) });
          continue;
        }
        await client.query('SAVEPOINT op');
        try {
          outcomes.push({ ok: true, value: await this.tx.run(connection, item.op) });
          await client.query('RELEASE SAVEPOINT op');
        } catch (err) {
          await client.query('ROLLBACK TO SAVEPOINT op');
          outcomes.push({ ok: false, value: err });
        }
      }
      await client.query('COMMIT');
      return outcomes;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      connection.open = false;
    }
  }
}
