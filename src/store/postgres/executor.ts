/**
 * The SQL executor on node-postgres. A statement runs on the transaction the
 * group committer has open for the operation calling it (found through
 * AsyncLocalStorage, so the repos and the features stay the same as on
 * SQLite), else on any pooled connection. Statements are prepared once per
 * connection (named by their SQL text).
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolClient, QueryResult } from 'pg';
import type { SqlExecutor, SqlParams } from '../sql.js';
import { pgValues, toPgStatement, type PgStatement } from './placeholders.js';
import { storeError } from './errors.js';

/** The connection of an open transaction; `open` false once it committed or rolled back. */
export interface TxConnection {
  client: PoolClient;
  open: boolean;
}

export class PgExecutor implements SqlExecutor {
  readonly dialect = 'postgres' as const;
  private readonly statements = new Map<string, PgStatement & { name: string }>();
  /** Each INSERT's text with `RETURNING id`, built once (statements are found by their text). */
  private readonly returningId = new Map<string, string>();

  /**
   * `queryTimeoutMs`: a statement unanswered this long fails as STORE_UNAVAILABLE (node-postgres's `query_timeout`)
   * and its connection is not used again (the pool drops a connection a query failed on; the committer drops its
   * transaction's), so a hung or unreachable server costs a request seconds, not an open-ended wait.
   */
  constructor(
    private readonly pool: Pool,
    private readonly tx: AsyncLocalStorage<TxConnection>,
    private readonly options: { queryTimeoutMs?: number } = {},
  ) {}

  async all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params?: SqlParams): Promise<{ changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  async insert(sql: string, params?: SqlParams): Promise<number> {
    let returning = this.returningId.get(sql);
    if (returning === undefined) this.returningId.set(sql, (returning = `${sql} RETURNING id`));
    return Number((await this.query(returning, params)).rows[0].id);
  }

  private query(sql: string, params: SqlParams | undefined): Promise<QueryResult> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = { ...toPgStatement(sql), name: `t${this.statements.size + 1}` };
      this.statements.set(sql, statement);
    }
    const open = this.tx.getStore();
    const target = open?.open ? open.client : this.pool;
    const config = { name: statement.name, text: statement.text, values: pgValues(statement, params), query_timeout: this.options.queryTimeoutMs };
    return target.query(config).catch((err: unknown) => {
      throw storeError(err);
    });
  }
}
