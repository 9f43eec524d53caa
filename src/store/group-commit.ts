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
 */
import type { Db } from './db.js';

type Operation<T> = (db: Db) => T;

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
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private deferTimer: NodeJS.Timeout | null = null;
  private readonly maxBatch: number;
  /** Built once: a nested better-sqlite3 transaction is a savepoint, so a throw rolls back only that op. */
  private readonly savepoint: (op: Operation<unknown>) => unknown;

  constructor(
    private readonly db: Db,
    private readonly options: GroupCommitterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 2000;
    this.savepoint = db.transaction((op: Operation<unknown>) => op(db));
  }

  /** Queue `op` for the next batch; resolves with its result after commit. */
  run<T>(op: Operation<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate lets every request that arrived in this turn of the event loop join the batch.
        setImmediate(() => this.flush());
      }
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
      if (!this.scheduled && !this.deferTimer) {
        this.deferTimer = setTimeout(() => {
          this.deferTimer = null;
          if (!this.scheduled && this.queue.length > 0) this.flush();
        }, maxDelayMs);
        // A deferred write never keeps the process alive; shutdown calls flushNow().
        this.deferTimer.unref();
      }
    });
  }

  /** Number of operations waiting for the next commit. */
  get depth(): number {
    return this.queue.length;
  }

  /** Run everything queued now (used at shutdown and by tests). */
  flushNow(): void {
    while (this.queue.length > 0) this.flushBatch();
  }

  /** The fast path: one transaction, no savepoints; any throw rolls the whole batch back. */
  private runPlain(batch: Pending[]): Array<{ ok: boolean; value: unknown }> {
    return this.db.transaction(() => batch.map((item) => ({ ok: true, value: item.op(this.db) })))();
  }

  /** After a failure: each operation in its own savepoint, so only the failing one is lost. */
  private runIsolated(batch: Pending[]): Array<{ ok: boolean; value: unknown }> {
    return this.db.transaction(() =>
      batch.map((item) => {
        try {
          return { ok: true, value: this.savepoint(item.op) };
        } catch (err) {
          return { ok: false, value: err };
        }
      }),
    )();
  }

  private flush(): void {
    this.scheduled = false;
    this.flushBatch();
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flushBatch(): void {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    const started = performance.now();
    let outcomes: Array<{ ok: boolean; value: unknown }>;
    try {
      outcomes = this.runPlain(batch);
    } catch {
      try {
        outcomes = this.runIsolated(batch);
      } catch (err) {
        for (const item of batch) item.reject(err);
        return;
      }
    }
    this.options.onCommit?.(batch.length, performance.now() - started);
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.ok) batch[i]!.resolve(outcome.value);
      else batch[i]!.reject(outcome.value);
    }
  }
}
