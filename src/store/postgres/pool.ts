/**
 * Opens the PostgreSQL store: a connection pool whose BIGINT (epoch-ms
 * columns, COUNT(*), identity ids) read back as JavaScript numbers, as
 * SQLite's integers do, and the schema brought up to date under an advisory
 * lock, so several nodes starting at once migrate it once.
 */
import pg from 'pg';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { PG_MIGRATIONS } from './migrations.js';

/** int8: every BIGINT we store is an epoch-ms time, a count or an id, far below 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Quiet time on a connection before the first keepalive probe (RFC 9293 §3.8.4; a COMMIT waiting, see createPool). */
const KEEPALIVE_IDLE_MS = 10_000;

/** Any two-int key only telenode takes: 'tele','node'. */
const MIGRATION_LOCK = [0x74656c65, 0x6e6f6465] as const;

export interface PgPoolOptions {
  url: string;
  poolSize: number;
  /** How long a request waits for a connection (PostgreSQL down: the API answers "try later" instead of hanging). */
  connectTimeoutMs?: number;
  applicationName?: string;
}

export function createPool(options: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'telenode',
    // A COMMIT whose answer never comes (the server's host lost its power or its network after taking the COMMIT)
    // is waited for (committer.ts): without keepalive probes on the socket that wait would have no end. With them
    // the kernel declares the peer dead after the idle time and its probes (net.ipv4.tcp_keepalive_intvl and
    // _probes, about 11 minutes on Linux's defaults) and the committer asks the database again once it answers.
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    types,
  });
  // An idle connection that breaks (server restart) emits here; the pool replaces it on the next checkout.
  pool.on('error', () => undefined);
  // A checked-out connection whose server goes away emits 'error' too, out of band: with no listener that is an
  // uncaught exception and the node would die with its database. The query under way fails on its own (and is
  // answered STORE_UNAVAILABLE); the broken connection is not given out again.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Create or upgrade the schema; returns the version it is at. */
export async function migratePostgres(pool: pg.Pool): Promise<number> {
  const client = await pool.connect().catch((err: unknown) => {
    throw new AppError(ErrorCode.STORE_FAILED, `cannot connect to PostgreSQL: ${(err as Error).message}`, { cause: err });
  });
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = (await client.query<{ version: number }>('SELECT version FROM schema_version')).rows[0];
    let version = row?.version ?? 0;
    if (!row) await client.query('INSERT INTO schema_version (version) VALUES (0)');
    for (const migration of PG_MIGRATIONS) {
      if (migration.version <= version) continue;
      await client.query(migration.sql);
      await client.query('UPDATE schema_version SET version = $1', [migration.version]);
      version = migration.version;
    }
    await client.query('COMMIT');
    return version;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined); // the error that matters is the one rethrown
    throw new AppError(ErrorCode.STORE_FAILED, `cannot migrate the PostgreSQL schema: ${(err as Error).message}`, { cause: err });
  } finally {
    client.release();
  }
}
