/** What the daemon holds of its store, whichever kind it runs on (src/app/store.ts opens it). */
import type { Committer, SqlExecutor } from '../store/sql.js';
import type { Db } from '../store/sqlite/db.js';
import type { ClusterMembership } from './cluster.js';

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
