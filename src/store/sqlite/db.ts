/**
 * Opens the SQLite store and applies migrations. WAL journal; `synchronous`
 * FULL by default so a committed transaction survives power loss, not only a
 * process crash. Writes that must be durable before we answer go through the
 * `GroupCommitter` (group-commit.ts) so thousands of them share one fsync.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './migrations.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

export type Db = Database.Database;

/** The page size a store is created with (bytes); see openDatabase. */
export const NEW_STORE_PAGE_SIZE = 2048;

/**
 * The size the WAL file is cut back to when SQLite starts it over, if it had grown past it (bytes); see openDatabase.
 * Above the 19–24 MiB a flat-out load reaches between two restarts (decision 0130), so a steady load keeps reusing the
 * file it has.
 */
export const WAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024;

/** Each connection's page cache (KiB); see openDatabase. */
export const PAGE_CACHE_KIB = 2000;

export interface OpenStoreOptions {
  path: string;
  /** FULL: durable on power loss. NORMAL: durable on process crash only. */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * FULL's fsync is the caller's, off the event loop (WalSync, docs/decisions/0107): the connection itself runs
   * NORMAL, and nothing may be answered before WalSync.durable() resolves.
   */
  walSyncedByCaller?: boolean;
}

export function openDatabase(options: OpenStoreOptions): Db {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  let db: Db;
  try {
    db = new Database(options.path);
  } catch (err) {
    throw new AppError(ErrorCode.STORE_FAILED, `cannot open store at ${options.path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // A new store gets 2 KiB pages: each commit writes every page it changed to the WAL, whole, and at a steady rate a
  // commit carries one message's few rows over some 16 B-trees — 2 KiB pages write 40 % fewer bytes and cost less CPU
  // (decision 0116). Ignored for an existing store, which keeps the size it was created with (SQLite changes it only
  // by a VACUUM outside WAL mode; docs/operations.md says how).
  db.pragma(`page_size = ${NEW_STORE_PAGE_SIZE}`);
  db.pragma('journal_mode = WAL');
  const synchronous = options.synchronous ?? 'FULL';
  db.pragma(`synchronous = ${synchronous === 'FULL' && options.walSyncedByCaller ? 'NORMAL' : synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // SQLite's own default page cache, 2,000 KiB, not better-sqlite3's build default of 16,000 KiB: the cache filled to
  // 16 MiB of resident memory in a run of 20,000 messages (and would in any node running for long) without making a
  // message cheaper — what a message touches is the right-hand end of each B-tree, and the rest is in the kernel's
  // page cache anyway (decision 0120).
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  // Checkpoints run on a connection of their own, their syncs off the event loop (checkpointer.ts); this threshold
  // (100,000 pages, 200–400 MB of WAL) is only a safety net.
  db.pragma('wal_autocheckpoint = 100000');
  // SQLite reuses the WAL file from its start and never shrinks it by itself: after a stretch in which checkpoints
  // could not keep up (a long read, a backup, the safety net above) the file kept that size — hundreds of MB — until
  // the node stopped. With a limit, the first commit after the WAL starts over cuts the file back to it.
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  let version = row?.version ?? 0;
  if (!row) db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
  for (const migration of MIGRATIONS) {
    if (migration.version <= version) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('UPDATE schema_version SET version = ?').run(migration.version);
    })();
    version = migration.version;
  }
}
