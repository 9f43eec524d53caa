/** The embedded store: the SQLite file, its group committer and WAL checkpointer. */
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { WalCheckpointer } from '../store/sqlite/checkpointer.js';
import { storeCommitMetrics } from '../store/commit-metrics.js';
import { openDatabase, type Db } from '../store/sqlite/db.js';
import { GroupCommitter } from '../store/sqlite/group-commit.js';

export interface Store {
  /** The database file, absolute. */
  path: string;
  db: Db;
  committer: GroupCommitter;
  checkpointer: WalCheckpointer;
}

export function openStore(config: Readonly<Config>, registry: Registry): Store {
  const path = resolve(config.store.path);
  const db = openDatabase({ path, synchronous: config.store.synchronous });
  return { path, db, committer: new GroupCommitter(db, { onCommit: storeCommitMetrics(registry) }), checkpointer: new WalCheckpointer(path) };
}

/** Commit what is queued, checkpoint the WAL and close the file. */
export async function closeStore(store: Store): Promise<void> {
  await store.committer.flushNow();
  await store.checkpointer.stop();
  store.db.close();
}
