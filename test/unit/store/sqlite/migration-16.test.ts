/**
 * Migration 16 on a store written before it (version 15): the callbacks'
 * (state, id) index gives way to one on dead letters only. Pending, delivered
 * and dead callbacks are all still there; the dead letters are counted,
 * listed and replayed through the new index, not by reading every delivered
 * callback the store keeps for its retention window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteExecutor } from '../../../../src/store/sqlite/executor.js';
import { WebhookRepo } from '../../../../src/store/webhook-repo.js';
import { storeFromVersion } from '../../../helpers/old-store.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('migration 16', () => {
  it("keeps a version-15 store's callbacks, and finds its dead letters by an index of their own", async () => {
    const { db, remove } = storeFromVersion(15, (old) => {
      const insert = old.prepare(
        "INSERT INTO webhooks (order_key, kind, url, content_type, body, state, next_attempt_at, created_at) VALUES (?, 'sms', 'http://127.0.0.1:9/', 'text/plain', 'x', ?, 0, 1000)",
      );
      old.transaction(() => {
        for (let i = 0; i < 300; i++) insert.run(`delivered-${i}`, 'delivered');
        insert.run('dead', 'dead');
        insert.run('pending', 'pending');
      })();
    });
    cleanups.push(remove);
    const indexes = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'webhooks' ORDER BY name").all() as Array<{ name: string }>
    ).map((r) => r.name);
    expect(indexes).toEqual(['webhooks_dead', 'webhooks_order_key', 'webhooks_pending']);

    const repo = new WebhookRepo(new SqliteExecutor(db));
    expect((await repo.pendingAfter(0)).map((r) => r.orderKey)).toEqual(['pending']);
    expect(await repo.countDead()).toBe(1);
    expect((await repo.listDead(10)).map((r) => r.orderKey)).toEqual(['dead']);
    const plan = (db.prepare("EXPLAIN QUERY PLAN SELECT COUNT(*) AS n FROM webhooks WHERE state = 'dead'").all() as Array<{ detail: string }>)[0]!.detail;
    expect(plan).toContain('webhooks_dead');
    expect(await repo.replayDead({ url: 'http://127.0.0.1:9/' }, 2000)).toBe(1);
    expect((await repo.pendingIds()).length).toBe(2);
    expect(await repo.countDead()).toBe(0);
  });
});
