/**
 * The stores a contract test runs against: SQLite on disk, and PostgreSQL on
 * a throw-away server of the test file's own (skipped, saying why, where
 * PostgreSQL is not installed). Each `open()` is a fresh, migrated, empty
 * store with the executor and the committer the daemon would use.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { PgCommitter } from '../../src/store/postgres/committer.js';
import { PgExecutor, type TxConnection } from '../../src/store/postgres/executor.js';
import { createPool, migratePostgres } from '../../src/store/postgres/pool.js';
import type { Committer, SqlExecutor } from '../../src/store/sql.js';
import { openDatabase } from '../../src/store/sqlite/db.js';
import { SqliteExecutor } from '../../src/store/sqlite/executor.js';
import { GroupCommitter } from '../../src/store/sqlite/group-commit.js';
import { postgresMissing, startPostgres, type PgServer } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

export interface OpenedStore {
  sql: SqlExecutor;
  committer: Committer;
  close(): Promise<void>;
  /** The same database opened again (a restarted node), as a store of its own. */
  reopen(): Promise<OpenedStore>;
}

export interface StoreKind {
  name: 'sqlite' | 'postgres';
  /** Why this kind cannot run here, or null. */
  missing: string | null;
  open(): Promise<OpenedStore>;
  /** The `store:` config of a daemon on a fresh store of this kind (SQLite: the test helper's own file). */
  daemonStore(): Promise<Record<string, unknown>>;
  /** Stop what the kind started for the file (the PostgreSQL server). */
  shutdown(): Promise<void>;
}

export function sqliteKind(): StoreKind {
  const dirs: Array<{ remove(): void }> = [];
  return {
    name: 'sqlite',
    missing: null,
    async open() {
      const dir = tempDir('telenode-contract-');
      dirs.push(dir);
      return openSqlite(join(dir.path, 'store.db'));
    },
    async daemonStore() {
      return {};
    },
    async shutdown() {
      for (const dir of dirs.splice(0)) dir.remove();
    },
  };
}

export function postgresKind(): StoreKind {
  let server: PgServer | null = null;
  return {
    name: 'postgres',
    missing: postgresMissing(),
    async open() {
      server ??= await startPostgres();
      return openPostgres(await server.createDatabase());
    },
    async daemonStore() {
      server ??= await startPostgres();
      return { type: 'postgres', url: await server.createDatabase(), poolSize: 4 };
    },
    async shutdown() {
      await server?.stop();
      server = null;
    },
  };
}

function openSqlite(path: string): OpenedStore {
  const db = openDatabase({ path, synchronous: 'NORMAL' });
  const committer = new GroupCommitter(db);
  return {
    sql: new SqliteExecutor(db),
    committer,
    close: async () => {
      await committer.flushNow();
      db.close();
    },
    reopen: async () => openSqlite(path),
  };
}

async function openPostgres(url: string): Promise<OpenedStore> {
  const pool = createPool({ url, poolSize: 4 });
  await migratePostgres(pool);
  const tx = new AsyncLocalStorage<TxConnection>();
  const committer = new PgCommitter(pool, tx);
  return {
    sql: new PgExecutor(pool, tx),
    committer,
    close: async () => {
      await committer.flushNow();
      await pool.end();
    },
    reopen: () => openPostgres(url),
  };
}
