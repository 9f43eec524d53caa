/**
 * The store the node runs on: the embedded SQLite file (with its group
 * committer and WAL checkpointer) or a PostgreSQL database shared with other
 * nodes (a connection pool and its group committer). Everything above sees
 * only the executor and the committer.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { dirname, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import { ClusterMembership } from './cluster.js';
import { storeCommitMetrics } from '../store/commit-metrics.js';
import { PgCommitter } from '../store/postgres/committer.js';
import { PgExecutor, type TxConnection } from '../store/postgres/executor.js';
import { createPool, migratePostgres } from '../store/postgres/pool.js';
import { redactCredentials } from '../shared/log.js';
import type { Committer, SqlExecutor } from '../store/sql.js';
import { WalCheckpointer } from '../store/sqlite/checkpointer.js';
import { openDatabase, type Db } from '../store/sqlite/db.js';
import { SqliteExecutor } from '../store/sqlite/executor.js';
import { GroupCommitter } from '../store/sqlite/group-commit.js';
import { WalSync } from '../store/sqlite/wal-sync.js';

export interface Store {
  type: 'sqlite' | 'postgres';
  /** Where it is, for logs: the file, or the URL without its password. */
  location: string;
  /** This node's own files (generated credentials, recordings): next to the SQLite file, whichever store runs. */
  dataDir: string;
  /** The SQLite connection; null on PostgreSQL. */
  db: Db | null;
  /** What the repos run their SQL on. */
  sql: SqlExecutor;
  committer: Committer;
  /** PostgreSQL: this node's membership in the nodes sharing the database (started by the daemon); null on SQLite. */
  cluster: ClusterMembership | null;
  /** Commit what is queued and close (checkpoint the WAL, or end the pool). */
  close(): Promise<void>;
}

export async function openStore(config: Readonly<Config>, registry: Registry, log?: Logger): Promise<Store> {
  const dataDir = dirname(resolve(config.store.path));
  const onCommit = storeCommitMetrics(registry);
  if (config.store.type === 'postgres') {
    const pool = createPool({ url: config.store.url!, poolSize: config.store.poolSize, applicationName: `telenode ${config.node.id}` });
    try {
      await migratePostgres(pool);
    } catch (err) {
      await pool.end();
      throw err;
    }
    const tx = new AsyncLocalStorage<TxConnection>();
    // Leave connections for reads, the claim sweeps and the heartbeat. Batches are smaller than SQLite's: here
    // each operation costs round trips, so a 2,000-operation batch would hold its answers (and a carrier's
    // accepted submits, should the node die) uncommitted for seconds.
    const committer = new PgCommitter(pool, tx, { onCommit, maxBatch: 256, concurrency: Math.max(2, config.store.poolSize - 4) });
    const sql = new PgExecutor(pool, tx);
    // The heartbeat's own connection: a pool busy with the load must not make a live node look dead.
    const beatPool = log ? createPool({ url: config.store.url!, poolSize: 1, applicationName: `telenode ${config.node.id} heartbeat` }) : null;
    const beatSql = beatPool ? new PgExecutor(beatPool, new AsyncLocalStorage<TxConnection>()) : sql;
    const cluster = log
      ? new ClusterMembership(sql, config.node.id, config.node.leaseSeconds * 1000, log.child({ component: 'cluster' }), null, beatSql)
      : null;
    cluster?.registerMetrics(registry);
    return {
      type: 'postgres',
      location: redactCredentials(config.store.url!),
      dataDir,
      db: null,
      sql,
      committer,
      cluster,
      close: async () => {
        await committer.flushNow();
        await beatPool?.end();
        await pool.end();
      },
    };
  }
  const path = resolve(config.store.path);
  const fullSync = config.store.synchronous === 'FULL';
  const db = openDatabase({ path, synchronous: config.store.synchronous, walSyncedByCaller: fullSync });
  // synchronous=FULL: the commits' fsync runs in the thread pool, not inside COMMIT on the event loop (0107).
  const walSync = fullSync ? new WalSync(path) : null;
  const durable = walSync ? () => walSync.durable() : undefined;
  const committer = new GroupCommitter(db, { onCommit, durable, minIntervalMs: config.store.commitIntervalMs });
  const checkpointer = new WalCheckpointer(path);
  return {
    type: 'sqlite',
    location: path,
    dataDir,
    db,
    sql: new SqliteExecutor(db, durable),
    committer,
    cluster: null,
    close: async () => {
      await committer.flushNow();
      await walSync?.close();
      await checkpointer.stop();
      db.close();
    },
  };
}
