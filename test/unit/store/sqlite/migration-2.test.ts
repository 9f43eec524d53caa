/**
 * Migration 2 on a store written by an older telenode: messages already there
 * get history numbers in the order they came, and new ones get theirs from
 * the triggers, from the same sequence.
 */
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../../src/store/sqlite/migrations.js';
import { SqliteExecutor } from '../../../../src/store/sqlite/executor.js';
import { MessageHistoryRepo } from '../../../../src/store/message-history-repo.js';
import { storeFromVersion } from '../../../helpers/old-store.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function insertOutbound(db: Database.Database, id: string, createdAt: number): void {
  db.prepare(
    `INSERT INTO messages (id, user, dialect, sender, recipient, text, status, parts_estimate, encoding, concat_ref, created_at, updated_at)
     VALUES (?, 'u', 'ozeki', '447443332211', '447443332212', 'old', 'delivered', 1, 'gsm7', 1, ?, ?)`,
  ).run(id, createdAt, createdAt);
}

describe('migration 2', () => {
  it('numbers the messages of a version-1 store and keeps numbering new ones', async () => {
    const { db, remove } = storeFromVersion(1, (old) => {
      insertOutbound(old, 'b-second', 2000);
      insertOutbound(old, 'a-first', 1000);
      old
        .prepare(
          "INSERT INTO inbound_messages (id, connector_id, sender, recipient, text, parts_total, complete, received_at) VALUES ('in-1', 'c', '36301', '447443332211', 'hi', 1, 1, 1500)",
        )
        .run();
    });
    cleanups.push(remove);
    expect(db.prepare('SELECT version FROM schema_version').get()).toEqual({ version: MIGRATIONS.at(-1)!.version });
    const history = new MessageHistoryRepo(new SqliteExecutor(db));
    expect((await history.seqOf('out', 'a-first'))!).toBeLessThan((await history.seqOf('out', 'b-second'))!);
    expect((await history.seqOf('in', 'in-1'))!).toBeGreaterThan((await history.seqOf('out', 'b-second'))!);

    insertOutbound(db, 'c-new', 3000);
    expect((await history.seqOf('out', 'c-new'))!).toBeGreaterThan((await history.seqOf('in', 'in-1'))!);
    const { total, entries } = await history.list({ user: 'u', ownNumbers: ['+447443332211'], limit: 10, offset: 0 });
    expect(total).toBe(4);
    expect(entries.map((e) => `${e.direction}:${e.id}`)).toEqual(['out:a-first', 'out:b-second', 'in:in-1', 'out:c-new']);
  });
});
