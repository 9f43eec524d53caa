/**
 * Group commit: many small durable writes share one transaction and so one
 * fsync. Callers get their result only after the whole batch has committed:
 * an HTTP "accepted" or a deliver_sm_resp is never sent for a write that
 * could still be lost.
 *
 * A batch first runs as one plain transaction. Only if an operation throws
 * is the batch rolled back and run again with each operation in its own
 * savepoint, so the failing one rejects alone. Rule for operations: they do
 * database work (and pure computation) only, so running one twice is safe.
 *
 * Operations may be async (the store ports return promises, so that the
 * PostgreSQL store can implement them), but on SQLite every port call
 * settles at once: a batch still runs start to end within one turn of the
 * event loop, and no other I/O callback sees a half-written transaction. The
 * transaction is opened with BEGIN/COMMIT by hand because better-sqlite3's
 * `db.transaction()` does not take async functions.
 *
 * With `durable` (the WAL's fsync off the event loop, wal-sync.ts) a batch's
 * callers hear back only when it resolves after COMMIT; the next batch may
 * commit meanwhile, so the loop never waits on the disk.
 */
import { DeferTimer } from '../defer-timer.js';
import type { Db } from './db.js';

type Operation<T> = (db: Db) => T | Promise<T>;

interface Pending {
  op: Operation<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitterOptions {
  /** Most operations per transaction. */
  maxBatch?: number;
  /** Called after each commit with the batch size (metrics). */
  onCommit?: (batchSize: number, ms: number) => void;
  /** Resolves once what has been committed is on disk (WalSync.durable); without it COMMIT itself is durable. */
  durable?: () => Promise<void>;
  /**
   * Least time from the start of one commit to the start of the next (ms; 0, the default: commit as soon as
   * the turn of the event loop that queued a write ends). Writes queued meanwhile wait and share the next
   * commit — PostgreSQL's `commit_delay` for this store (docs/decisions/0110). A write after a quiet spell
   * still commits at once.
   */
  minIntervalMs?: number;
  /**
   * Writes waiting that end the `minIntervalMs` hold early (default 32): a batch that large already shares its
   * commit well, and holding it longer only delays its callers (docs/decisions/0133).
   */
  fullBatch?: number;
}

export class GroupCommitter {
  /** One batch at a time; the next is scheduled (setImmediate, a timer) after the last one's callers were told. */
  readonly serial = true;
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly deferTimer = new DeferTimer(() => {
    if (!this.scheduled && this.queue.length > 0) this.flush();
  });
  private readonly maxBatch: number;
  /** The batch being written, so that flushNow() waits for it rather than opening a second transaction. */
  private writing: Promise<void> | null = null;
  /** Committed batches whose callers wait for `durable`. */
  private readonly syncing = new Set<Promise<void>>();
  private lastCommitStartedAt = -Infinity;
  /** The timer of a commit held for `minIntervalMs`, while one is. */
  private holdTimer: NodeJS.Timeout | null = null;
  private readonly fullBatch: number;
  /** Set while `withWritesHeld` runs: no batch starts until it resolves. */
  private held: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly options: GroupCommitterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 2000;
    this.fullBatch = options.fullBatch ?? 32;
  }

  /** Queue `op` for the next batch; resolves with its result after commit. */
  run<T>(op: Operation<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) this.schedule();
      else if (this.holdTimer && this.queue.length >= this.fullBatch) this.endHold();
    });
  }

  /**
   * Queue `op` without a commit of its own: it rides along with the next
   * batch that commits, or commits within `maxDelayMs` if nothing else does.
   * For writes that may wait a moment (the call history), so that 200 ended
   * calls a second do not cost 200 fsyncs on the event loop.
   */
  defer<T>(op: Operation<T>, maxDelayMs = 1000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) this.deferTimer.arm(maxDelayMs);
    });
  }

  /** Number of operations waiting for the next commit. */
  get depth(): number {
    return this.queue.length;
  }

  /**
   * Run `work` while no batch is being written and none starts; writes queued meanwhile wait and commit after it.
   * For a WAL checkpoint that must find every committed frame copied before the next write begins, so that the
   * next write starts the WAL over from its beginning (checkpointer.ts).
   */
  async withWritesHeld<T>(work: () => Promise<T>): Promise<T> {
    // No await when the committer is free: the hold must be on in this same turn, before a flush can start a batch.
    while (this.writing || this.held) await (this.writing ?? this.held);
    let release: () => void = () => undefined;
    this.held = new Promise<void>((resolve) => (release = resolve));
    try {
      return await work();
    } finally {
      this.held = null;
      release();
      if (this.queue.length > 0 && !this.scheduled) this.schedule();
    }
  }

  /** Commit everything queued now (used at shutdown and by tests). */
  async flushNow(): Promise<void> {
    while (this.writing || this.held) await (this.writing ?? this.held);
    while (this.queue.length > 0) await this.flushBatch();
    await Promise.all([...this.syncing]);
  }

  /** The fast path: one transaction, no savepoints; any throw rolls the whole batch back. */
  private async runPlain(batch: Pending[]): Promise<Array<{ ok: boolean; value: unknown }>> {
    this.db.exec('BEGIN');
    try {
      const outcomes: Array<{ ok: boolean; value: unknown }> = [];
      for (const item of batch) outcomes.push({ ok: true, value: await item.op(this.db) });
      this.db.exec('COMMIT');
      return outcomes;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** After a failure: each operation in its own savepoint, so only the failing one is lost. */
  private async runIsolated(batch: Pending[]): Promise<Array<{ ok: boolean; value: unknown }>> {
    this.db.exec('BEGIN');
    try {
      const outcomes: Array<{ ok: boolean; value: unknown }> = [];
      for (const item of batch) {
        this.db.exec('SAVEPOINT op');
        try {
          outcomes.push({ ok: true, value: await item.op(this.db) });
          this.db.exec('RELEASE op');
        } catch (err) {
          this.db.exec('ROLLBACK TO op');
          this.db.exec('RELEASE op');
          outcomes.push({ ok: false, value: err });
        }
      }
      this.db.exec('COMMIT');
      return outcomes;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private schedule(): void {
    this.scheduled = true;
    const wait = this.lastCommitStartedAt + (this.options.minIntervalMs ?? 0) - performance.now();
    if (wait > 0 && this.queue.length < this.fullBatch) this.holdTimer = setTimeout(() => this.flush(), wait);
    // setImmediate lets every request that arrived in this turn of the event loop join the batch.
    else setImmediate(() => this.flush());
  }

  /**
   * A held commit whose batch filled up starts at the end of this turn instead of when the interval is up. Flat out
   * (50 clients, each waiting for its answer) the hold was what set the pace: ending it here gave 1.14× the messages
   * a second without receipts and 1.06× with them, CPU a message no worse (bench/RESULTS.md, "Issue 18, session 34").
   */
  private endHold(): void {
    clearTimeout(this.holdTimer!);
    this.holdTimer = null;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    this.holdTimer = null;
    if (this.held) return; // withWritesHeld schedules the queue when it ends
    this.writing = this.flushBatch().finally(() => {
      this.writing = null;
      if (this.queue.length > 0 && !this.scheduled) this.schedule();
    });
  }

  private async flushBatch(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    const started = performance.now();
    this.lastCommitStartedAt = started;
    let outcomes: Array<{ ok: boolean; value: unknown }>;
    try {
      outcomes = await this.runPlain(batch);
    } catch {
      try {
        outcomes = await this.runIsolated(batch);
      } catch (err) {
        for (const item of batch) item.reject(err);
        return;
      }
    }
    this.options.onCommit?.(batch.length, performance.now() - started);
    const durable = this.options.durable;
    if (!durable) return settle(batch, outcomes);
    const synced = durable().then(
      () => settle(batch, outcomes),
      (err: unknown) => {
        // Committed but not known to be on disk: nobody may hear "done" (they retry; a duplicate is the lesser harm).
        for (const item of batch) item.reject(err);
      },
    );
    this.syncing.add(synced);
    void synced.finally(() => this.syncing.delete(synced));
  }
}

function settle(batch: Pending[], outcomes: Array<{ ok: boolean; value: unknown }>): void {
  for (let i = 0; i < batch.length; i++) {
    const outcome = outcomes[i]!;
    if (outcome.ok) batch[i]!.resolve(outcome.value);
    else batch[i]!.reject(outcome.value);
  }
}
