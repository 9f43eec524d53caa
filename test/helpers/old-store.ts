/**
 * A SQLite store as an older telenode left it, for migration tests: every migration up to `version` and nothing
 * after, rows written by `fill` with that version's schema, then opened as today's node opens it (running the
 * migrations since). `remove()` closes it and deletes its folder.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { openDatabase, type Db } from '../../src/store/sqlite/db.js';
import { tempDir } from './temp-dir.js';

export function storeFromVersion(version: number, fill: (old: Database.Database) => void): { db: Db; remove: () => void } {
  const dir = tempDir('telenode-migration-');
  const path = join(dir.path, 'old.db');
  const old = new Database(path);
  for (const m of MIGRATIONS.filter((m) => m.version <= version)) old.exec(m.sql);
  old.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (${version});`);
  fill(old);
  old.close();
  const db = openDatabase({ path, synchronous: 'NORMAL' });
  return {
    db,
    remove: () => {
      db.close();
      dir.remove();
    },
  };
}
