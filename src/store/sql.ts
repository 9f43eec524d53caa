/**
 * The one thing every repo needs of a database: run a statement, get rows.
 * Repos are written once, in the SQL that SQLite and PostgreSQL share
 * (`?` or `@name` parameters, `ON CONFLICT … DO …`, `RETURNING`, quoted
 * "user"), against this interface; `sqlite/executor.ts` and
 * `postgres/executor.ts` implement it. Where the two dialects differ, a repo
 * asks `dialect` (see docs/decisions/0104-async-store-ports.md).
 *
 * Every method returns a promise, so that PostgreSQL can implement it; on
 * SQLite the statement has already run when the method returns.
 */
export type SqlDialect = 'sqlite' | 'postgres';

/** Positional (`?`) or named (`@name`) parameters. */
export type SqlParams = readonly unknown[] | object;

export interface SqlExecutor {
  readonly dialect: SqlDialect;
  all<T>(sql: string, params?: SqlParams): Promise<T[]>;
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined>;
  /** Runs a statement; `changes` is the number of rows it inserted, updated or deleted. */
  run(sql: string, params?: SqlParams): Promise<{ changes: number }>;
  /**
   * Runs an INSERT of one row (written without RETURNING) into a table keyed by an integer `id`, and resolves with
   * the row's id. SQLite takes it from the connection (`sqlite3_last_insert_rowid`), which costs about a quarter less
   * than RETURNING's result row (bench/RESULTS.md, "Issue 18, session 36"); PostgreSQL adds `RETURNING id`.
   */
  insert(sql: string, params?: SqlParams): Promise<number>;
}

/**
 * Runs store writes as transactions: group commit on both stores (many
 * operations share one transaction, each resolves after the commit). An
 * operation does store work only (it may run twice, see sqlite/group-commit.ts);
 * the repos it calls write inside the transaction.
 */
export interface Committer {
  run<T>(op: () => T | Promise<T>): Promise<T>;
  /** Rides along with the next commit, or commits within `maxDelayMs`. */
  defer<T>(op: () => T | Promise<T>, maxDelayMs?: number): Promise<T>;
  /** Commit what is queued now. */
  flushNow(): Promise<void>;
  /** Operations waiting for the next commit. */
  readonly depth: number;
  /**
   * One transaction at a time, operations in the order queued, and a batch that is rolled back tells its callers
   * before the next batch starts (SQLite). Then an operation sees in memory what an earlier one left there, as it
   * sees its rows (decision 0114). False where batches commit side by side (PostgreSQL).
   */
  readonly serial: boolean;
}
