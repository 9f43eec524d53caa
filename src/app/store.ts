/**
 * The store the node runs on: the embedded SQLite file (with its group
 * committer and WAL checkpointer) or a PostgreSQL database shared with other
 * nodes (a connection pool and its group committer). Everything above sees
 * only the executor and the committer.
 */
import { dirname, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import type { Store } from './store-handle.js';
import { storeCommitMetrics } from '../store/commit-metrics.js';
import { WalCheckpointer } from '../store/sqlite/checkpointer.js';
import { openDatabase } from '../store/sqlite/db.js';
import { SqliteExecutor } from '../store/sqlite/executor.js';
import { GroupCommitter } from '../store/sqlite/group-commit.js';
import { WalSync } from '../store/sqlite/wal-sync.js';

export type { Store } from './store-handle.js';

export async function openStore(config: Readonly<Config>, registry: Registry, log?: Logger): Promise<Store> {
  const dataDir = dirname(resolve(config.store.path));
  const onCommit = storeCommitMetrics(registry);
  if (config.store.type === 'postgres') {
    // Loaded only here: the embedded SQLite node does not carry node-postgres (~2 MiB of heap; issue 18).
    const { openPostgresStore } = await import('./postgres-store.js');
    return openPostgresStore(config, { dataDir, onCommit, registry }, log);
  }
  const path = resolve(config.store.path);
  const fullSync = config.store.synchronous === 'FULL';
  const db = openDatabase({ path, synchronous: config.store.synchronous, walSyncedByCaller: fullSync });
  // synchronous=FULL: the commits' fsync runs in the thread pool, not inside COMMIT on the event loop (0107).
  // The checkpoints' own WAL sync, whichever mode (0128); the commits wait for it only with FULL.
  const walSync = new WalSync(path);
  const durable = fullSync ? () => walSync.durable() : undefined;
  const committer = new GroupCommitter(db, { onCommit, durable, minIntervalMs: config.store.commitIntervalMs });
  const checkpointer = new WalCheckpointer(path, walSync, {
    log: log?.child({ component: 'store' }),
    holdWrites: (work) => committer.withWritesHeld(work),
  });
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
      await checkpointer.stop();
      await walSync.close();
      db.close();
    },
  };
}
