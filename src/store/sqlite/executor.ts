/**
 * The SQL executor on better-sqlite3: statements are prepared once per SQL
 * text and run synchronously; the promise each method returns is already
 * settled. Runs inside whatever transaction the group committer has open.
 *
 * A write outside any transaction commits on its own; with `durable` (the
 * WAL's fsync off the event loop, wal-sync.ts) its promise settles only once
 * that commit is on disk, as the group committer's do.
 */
import type { Statement } from 'better-sqlite3';
import type { SqlExecutor, SqlParams } from '../sql.js';
import type { Db } from './db.js';

export class SqliteExecutor implements SqlExecutor {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Statement>();

  constructor(
    readonly db: Db,
    private readonly durable?: () => Promise<void>,
  ) {}

  all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    try {
      return Promise.resolve(bind(this.prepare(sql), params, 'all') as T[]);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    try {
      return Promise.resolve(bind(this.prepare(sql), params, 'get') as T | undefined);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  run(sql: string, params?: SqlParams): Promise<{ changes: number }> {
    try {
      const result = bind(this.prepare(sql), params, 'run') as { changes: number };
      return this.written({ changes: result.changes });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  insert(sql: string, params?: SqlParams): Promise<number> {
    try {
      return this.written(Number((bind(this.prepare(sql), params, 'run') as { lastInsertRowid: number | bigint }).lastInsertRowid));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A write's result: at once inside a transaction (the committer's), else once its own commit is on disk. */
  private written<T>(value: T): Promise<T> {
    if (this.durable && !this.db.inTransaction) return this.durable().then(() => value);
    return Promise.resolve(value);
  }

  private prepare(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}

function bind(stmt: Statement, params: SqlParams | undefined, how: 'all' | 'get' | 'run'): unknown {
  if (params === undefined) return stmt[how]();
  if (Array.isArray(params)) return stmt[how](...(params as unknown[]));
  return stmt[how](params);
}
