/**
 * The store on a PostgreSQL database shared with other nodes: a connection
 * pool, its group committer, and this node's cluster membership.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import { redactCredentials } from '../shared/log.js';
import { PgCommitter } from '../store/postgres/committer.js';
import { PgExecutor, type TxConnection } from '../store/postgres/executor.js';
import { createPool, migratePostgres } from '../store/postgres/pool.js';
import { PgListener } from '../store/postgres/listener.js';
import { CLUSTER_CHANNEL_SQL } from '../store/cluster-repo.js';
import { ClusterMembership } from './cluster.js';
import type { Store } from './store-handle.js';

export async function openPostgresStore(
  config: Readonly<Config>,
  { dataDir, onCommit, registry }: { dataDir: string; onCommit: (batchSize: number, ms: number) => void; registry: Registry },
  log?: Logger,
): Promise<Store> {
  const { queryTimeoutMs } = config.store;
  // A request waits no longer for a connection than for an answer (and 5 s at most, as before).
  const connectTimeoutMs = Math.min(5000, queryTimeoutMs);
  const pool = createPool({ url: config.store.url!, poolSize: config.store.poolSize, applicationName: `telenode ${config.node.id}`, connectTimeoutMs });
  let channel: string;
  try {
    await migratePostgres(pool);
    channel = (await pool.query<{ channel: string }>(`SELECT ${CLUSTER_CHANNEL_SQL} AS channel`)).rows[0]!.channel;
  } catch (err) {
    await pool.end();
    throw err;
  }
  const tx = new AsyncLocalStorage<TxConnection>();
  // Leave connections for reads, the claim sweeps and the heartbeat. Batches are smaller than SQLite's: here
  // each operation costs round trips, so a 2,000-operation batch would hold its answers (and a carrier's
  // accepted submits, should the node die) uncommitted for seconds.
  const committer = new PgCommitter(pool, tx, {
    onCommit,
    maxBatch: 256,
    concurrency: Math.max(2, config.store.poolSize - 4),
    queryTimeoutMs,
    log: log?.child({ component: 'store' }),
  });
  const sql = new PgExecutor(pool, tx, { queryTimeoutMs });
  // The heartbeat's own connection: a pool busy with the load must not make a live node look dead.
  const beatPool = log ? createPool({ url: config.store.url!, poolSize: 1, applicationName: `telenode ${config.node.id} heartbeat`, connectTimeoutMs }) : null;
  const beatSql = beatPool ? new PgExecutor(beatPool, new AsyncLocalStorage<TxConnection>(), { queryTimeoutMs }) : sql;
  const clusterLog = log?.child({ component: 'cluster' });
  const listener = clusterLog
    ? new PgListener({
        url: config.store.url!,
        channel,
        applicationName: `telenode ${config.node.id} listener`,
        connectTimeoutMs,
        log: clusterLog,
      })
    : null;
  const cluster = clusterLog ? new ClusterMembership(sql, config.node.id, config.node.leaseSeconds * 1000, clusterLog, null, beatSql, listener) : null;
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
