/**
 * Migration 5 on a store written by a telenode that only recorded failovers
 * (version 3): its pending failovers become due at once, with no attempt
 * counted, so the first start with voice places them.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../../src/store/sqlite/migrations.js';
import { openDatabase } from '../../../../src/store/sqlite/db.js';
import { SqliteExecutor } from '../../../../src/store/sqlite/executor.js';
import { SmsFailoverRepo } from '../../../../src/store/sms-failover-repo.js';
import { tempDir } from '../../../helpers/temp-dir.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('migration 5', () => {
  it("keeps a version-3 store's pending failovers and makes them due, with no attempt counted", async () => {
    const dir = tempDir('telenode-migration-');
    const path = join(dir.path, 'old.db');
    const old = new Database(path);
    for (const m of MIGRATIONS.filter((m) => m.version <= 3)) old.exec(m.sql);
    old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (3);');
    old
      .prepare(
        `INSERT INTO messages (id, user, dialect, sender, recipient, text, status, parts_estimate, encoding, concat_ref, created_at, updated_at)
       VALUES ('m1', 'alice', 'iovox', '+447923221231', '+447723443321', 'hi', 'failed', 1, 'gsm7', 1, 1000, 1000)`,
      )
      .run();
    old
      .prepare(
        "INSERT INTO sms_failovers (message_id, link_id, origin, destination, content, sms_status, state, created_at, updated_at) VALUES ('m1', '123456', '+447923221231', '+447723443321', 'hi', 'failed', 'pending', 1000, 1000)",
      )
      .run();
    old.close();

    const db = openDatabase({ path, synchronous: 'NORMAL' });
    cleanups.push(() => {
      db.close();
      dir.remove();
    });
    const repo = new SmsFailoverRepo(new SqliteExecutor(db));
    expect(await repo.get('m1')).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: 0, lastError: null });
    expect((await repo.due(Date.now(), 10)).map((r) => [r.messageId, r.user])).toEqual([['m1', 'alice']]);
  });
});
