/**
 * The store the node runs on: the embedded SQLite file with its group
 * committer and WAL checkpointer. Everything above sees only the executor
 * and the committer.
 */
import { dirname, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { storeCommitMetrics } from '../store/commit-metrics.js';
import type { Committer, SqlExecutor } from '../store/sql.js';
import { WalCheckpointer } from '../store/sqlite/checkpointer.js';
import { openDatabase, type Db } from '../store/sqlite/db.js';
import { SqliteExecutor } from '../store/sqlite/executor.js';
import { GroupCommitter } from '../store/sqlite/group-commit.js';

export interface Store {
  type: 'sqlite';
  /** Where it is, for logs. */
  location: string;
  /** This node's own files (generated credentials, recordings): next to the SQLite file. */
  dataDir: string;
  /** The SQLite connection. */
  db: Db | null;
  /** What the repos run their SQL on. */
  sql: SqlExecutor;
  committer: Committer;
  /** Commit what is queued, checkpoint the WAL and close the file. */
  close(): Promise<void>;
}

export async function openStore(config: Readonly<Config>, registry: Registry): Promise<Store> {
  const dataDir = dirname(resolve(config.store.path));
  const onCommit = storeCommitMetrics(registry);
  const path = resolve(config.store.path);
  const db = openDatabase({ path, synchronous: config.store.synchronous });
  const committer = new GroupCommitter(db, { onCommit });
  const checkpointer = new WalCheckpointer(path);
  return {
    type: 'sqlite',
    location: path,
    dataDir,
    db,
    sql: new SqliteExecutor(db),
    committer,
    close: async () => {
      await committer.flushNow();
      await checkpointer.stop();
      db.close();
    },
  };
}
