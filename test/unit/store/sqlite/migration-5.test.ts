/**
 * Migration 5 on a store written by a telenode that only recorded failovers
 * (version 3): its pending failovers become due at once, with no attempt
 * counted, so the first start with voice places them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteExecutor } from '../../../../src/store/sqlite/executor.js';
import { SmsFailoverRepo } from '../../../../src/store/sms-failover-repo.js';
import { storeFromVersion } from '../../../helpers/old-store.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('migration 5', () => {
  it("keeps a version-3 store's pending failovers and makes them due, with no attempt counted", async () => {
    const { db, remove } = storeFromVersion(3, (old) => {
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
    });
    cleanups.push(remove);
    const repo = new SmsFailoverRepo(new SqliteExecutor(db));
    expect(await repo.get('m1')).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: 0, lastError: null });
    expect((await repo.due(Date.now(), 10)).map((r) => [r.messageId, r.user])).toEqual([['m1', 'alice']]);
  });
});
