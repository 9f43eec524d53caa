/**
 * One contract for both stores (issue 17): every repo and the group committer
 * behave the same on SQLite and on PostgreSQL — what is written reads back
 * alike, ids and orders are the same, a failing operation rolls back alone,
 * and an operation's writes are visible to its own later reads.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MessageRepo } from '../../src/store/message-repo.js';
import { WebhookRepo } from '../../src/store/webhook-repo.js';
import { EmailRepo } from '../../src/store/email-repo.js';
import { InboundRepo } from '../../src/store/inbound-repo.js';
import { InboxRepo } from '../../src/store/inbox-repo.js';
import { CallFlowRepo } from '../../src/store/call-flow-repo.js';
import { UnmatchedReceiptRepo } from '../../src/store/unmatched-receipt-repo.js';
import { QuotaRepo } from '../../src/store/quota-repo.js';
import { NumberSettingsRepo } from '../../src/store/number-settings-repo.js';
import { ContactRepo } from '../../src/store/contact-repo.js';
import { CallHistoryRepo } from '../../src/store/call-history-repo.js';
import { SmsFailoverRepo } from '../../src/store/sms-failover-repo.js';
import { SmppServerRepo } from '../../src/store/smpp-server-repo.js';
import { MessageHistoryRepo } from '../../src/store/message-history-repo.js';
import { ClusterRepo } from '../../src/store/cluster-repo.js';
import { RetentionRepo } from '../../src/store/retention-repo.js';
import { MessageStatus } from '../../src/sms/message.js';
import type { ReceiptEvent } from '../../src/sms/connectors/connector.js';
import { storedMessage, storedPart } from '../support/stored-message.js';
import { postgresKind, sqliteKind, type OpenedStore, type StoreKind } from '../support/store-under-test.js';

const kinds: StoreKind[] = [sqliteKind(), postgresKind()];
afterAll(async () => {
  for (const kind of kinds) await kind.shutdown();
});

describe.each(kinds)('store contract: $name', (kind) => {
  const test = kind.missing ? it.skip : it;
  if (kind.missing) it.skip(`skipped: ${kind.missing}`, () => undefined);

  async function withStore(run: (store: OpenedStore) => Promise<void>): Promise<void> {
    const store = await kind.open();
    try {
      await run(store);
    } finally {
      await store.close();
    }
  }

  test('messages: insert, read back, parts by carrier id, update, pending and history', () =>
    withStore(async ({ sql, committer }) => {
      const repo = new MessageRepo(sql);
      const m = storedMessage({ id: 'm1', user: 'alice', meta: { a: 1 }, createdAt: 1_700_000_000_123, nextAttemptAt: 5, expiresAt: 1_800_000_000_000 });
      await committer.run(() => repo.insert(m));
      expect(await repo.get('m1')).toEqual({ ...m, sendAt: null, possibleDuplicate: false, claimedBy: null, version: 0 });
      expect((await repo.listPending()).map((x) => x.id)).toEqual(['m1']);
      const part = storedPart({ messageId: 'm1', carrierStatus: 'ENROUTE' });
      await committer.run(async () => {
        await repo.savePart(part, 'ab12');
        await repo.update({ ...m, status: MessageStatus.Submitted, connectorId: 'c', submittedAt: 10, possibleDuplicate: true }, '{"at":10}\n');
      });
      await committer.run(() =>
        repo.update({ ...m, status: MessageStatus.Submitted, connectorId: 'c', submittedAt: 10, possibleDuplicate: true }, '{"at":11}\n'),
      );
      expect((await repo.getWithEvents('m1'))?.events).toBe('{"at":10}\n{"at":11}\n');
      expect(await repo.findPartsByCarrierId('c', ['ab12', 'zz'])).toEqual([part]);
      expect(await repo.parts('m1')).toEqual([part]);
      expect(await repo.findPartsByCarrierId('other', ['ab12'])).toEqual([]);
      expect(await repo.get('m1')).toMatchObject({ status: 'submitted', possibleDuplicate: true, submittedAt: 10 });
      expect(await repo.listPending()).toEqual([]);
      expect((await repo.listAwaitingReport('c', 10)).map((x) => x.id)).toEqual(['m1']);
      expect((await repo.listPastDeadline(1_800_000_000_000)).map((x) => x.id)).toEqual(['m1']);
      const history = await repo.history({ user: 'alice', limit: 10, offset: 0 });
      expect([history.total, history.rows.map((r) => r.id)]).toEqual([1, ['m1']]);
      // The console's search: by status, dialect and id too, newest first.
      await committer.run(() => repo.insert(storedMessage({ id: 'm2', user: 'alice', createdAt: 1_700_000_000_999 })));
      expect((await repo.history({ status: 'submitted', limit: 10, offset: 0 })).rows.map((r) => r.id)).toEqual(['m1']);
      expect((await repo.history({ id: 'm2', limit: 10, offset: 0 })).rows.map((r) => r.id)).toEqual(['m2']);
      expect((await repo.history({ dialect: 'nope', limit: 10, offset: 0 })).total).toBe(0);
      expect((await repo.history({ user: 'alice', newestFirst: true, limit: 10, offset: 0 })).rows.map((r) => r.id)).toEqual(['m2', 'm1']);
    }));

  test('messages: scheduled ones are read by send time in pages that miss none sharing a time, and age from their send time', () =>
    withStore(async ({ sql, committer }) => {
      const repo = new MessageRepo(sql);
      await committer.run(async () => {
        await repo.insert(storedMessage({ id: 'now', createdAt: 100 }));
        for (const id of ['b', 'a', 'c']) await repo.insert(storedMessage({ id, createdAt: 100, sendAt: 5000, nextAttemptAt: 5000 }));
        await repo.insert(storedMessage({ id: 'early', createdAt: 100, sendAt: 4000, nextAttemptAt: 4000 }));
        await repo.insert(storedMessage({ id: 'mine', createdAt: 100, sendAt: 4500, nextAttemptAt: 4500, claimedBy: 'n1' }));
        await repo.insert(storedMessage({ id: 'late', createdAt: 100, sendAt: 9000, nextAttemptAt: 9000 }));
        await repo.insert(storedMessage({ id: 'sent', createdAt: 100, sendAt: 4200, status: MessageStatus.Submitted }));
      });
      expect(await repo.get('a')).toMatchObject({ sendAt: 5000, nextAttemptAt: 5000 });
      // Recovery at a start holds what is due by then, not what is scheduled past it.
      expect((await repo.listPending(4000)).map((m) => m.id)).toEqual(['now', 'early']);
      // After 4000 (strictly), up to 5000: two a page, the next page after the last row by (send time, id).
      const first = await repo.listScheduled({ at: 4000 }, 5000, null, 2);
      expect(first.map((m) => m.id)).toEqual(['mine', 'a']);
      const next = await repo.listScheduled({ at: 5000, id: 'a' }, 5000, null, 2);
      expect(next.map((m) => m.id)).toEqual(['b', 'c']);
      expect(await repo.listScheduled({ at: 5000, id: 'c' }, 5000, null, 2)).toEqual([]);
      expect((await repo.listScheduled({ at: 0 }, 10_000, 'n1', 10)).map((m) => m.id)).toEqual(['mine']);
      // Waiting since before 4100: the one sent at once (accepted at 100) and the one due at 4000, not the later ones.
      expect((await repo.listPendingSince(4100)).map((m) => m.id).sort()).toEqual(['early', 'now']);
      expect((await repo.listPendingSince(4100, 'n1')).map((m) => m.id)).toEqual([]);
      // A client's replacement (replace_sm): written while it waits, with its history line; not once it went.
      const a = (await repo.get('a'))!;
      const replaced = {
        ...a,
        text: 'moved',
        partsEstimate: 1,
        sendAt: 6000,
        nextAttemptAt: 6000,
        expiresAt: 9000,
        meta: { smpp: { parts: 0 } },
        updatedAt: 150,
      };
      expect(await committer.run(() => repo.replaceWaiting(replaced, '{"kind":"replaced"}\n'))).toBe(true);
      expect(await repo.getWithEvents('a')).toMatchObject({
        message: { text: 'moved', sendAt: 6000, expiresAt: 9000, meta: { smpp: { parts: 0 } }, version: 1 },
        events: '{"kind":"replaced"}\n',
      });
      const sent = (await repo.get('sent'))!;
      expect(await committer.run(() => repo.replaceWaiting({ ...sent, text: 'too late' }, ''))).toBe(false);
      expect((await repo.get('sent'))!.text).toBe('hello');
    }));

  test('messages: a write against the version read lands once; a second from the same read, or after any update, writes nothing', () =>
    withStore(async ({ sql, committer }) => {
      const repo = new MessageRepo(sql);
      await committer.run(() => repo.insert(storedMessage({ id: 'm1' })));
      const read = (await repo.get('m1'))!;
      const other = (await repo.get('m1'))!;
      expect([read.version, other.version]).toEqual([0, 0]);
      const submitted = { ...read, version: 0, status: MessageStatus.Submitted, submittedAt: 10 };
      expect(await committer.run(() => repo.updateIfUnchanged(submitted, '{"at":10}\n'))).toBe(true);
      expect(submitted.version).toBe(1);
      // A second writer that read the same row (a receipt on another node, an expiry) finds it changed.
      const expired = { ...other, version: 0, status: MessageStatus.Expired, doneAt: 20 };
      expect(await committer.run(() => repo.updateIfUnchanged(expired, '{"at":20}\n'))).toBe(false);
      expect(await repo.getWithEvents('m1')).toMatchObject({ message: { status: 'submitted', doneAt: null, version: 1 }, events: '{"at":10}\n' });
      // An unconditional update raises the version too: a write from the version before it finds the row changed.
      await committer.run(() => repo.update({ ...submitted, attempts: 1 }));
      expect((await repo.get('m1'))?.version).toBe(2);
      expect(await committer.run(() => repo.updateIfUnchanged({ ...submitted, status: MessageStatus.Delivered }))).toBe(false);
      expect(await committer.run(() => repo.updateIfUnchanged({ ...submitted, version: 2, status: MessageStatus.Delivered }))).toBe(true);
      expect(await repo.get('m1')).toMatchObject({ status: 'delivered', version: 3 });
    }));

  test("parts: a part's progress is written without its identity, is still found by its carrier id, and a missing part is reported", () =>
    withStore(async ({ sql, committer }) => {
      const repo = new MessageRepo(sql);
      const submitted = storedPart({ messageId: 'm1' });
      await committer.run(async () => {
        await repo.insert(storedMessage({ id: 'm1' }));
        await repo.savePart(submitted, 'ab12');
      });
      const delivered = { ...submitted, status: MessageStatus.Delivered, carrierStatus: 'DELIVRD', carrierError: '000', doneAt: 20 };
      expect(await committer.run(() => repo.updatePartStatus(delivered))).toBe(true);
      expect(await repo.parts('m1')).toEqual([delivered]);
      expect(await repo.findPartsByCarrierId('c', ['ab12'])).toEqual([delivered]);
      // Only the progress is written: a changed reference in the argument does not reach the row.
      expect(await committer.run(() => repo.updatePartStatus({ ...delivered, carrierId: 'ZZ', connectorId: 'other', doneAt: 30 }))).toBe(true);
      expect(await repo.findPartsByCarrierId('c', ['ab12'])).toEqual([{ ...delivered, doneAt: 30 }]);
      expect(await committer.run(() => repo.updatePartStatus({ ...delivered, partNo: 2 }))).toBe(false);
      expect(await repo.parts('m1')).toHaveLength(1);
    }));

  test('retention: finished work older than the cutoff goes, with its parts and history numbers; unfinished work stays', () =>
    withStore(async ({ sql, committer }) => {
      const messages = new MessageRepo(sql);
      const callbacks = new WebhookRepo(sql);
      const retention = new RetentionRepo(sql);
      const cutoff = 1_700_000_000_000;
      await committer.run(async () => {
        await messages.insert(storedMessage({ id: 'old-done', status: MessageStatus.Delivered, createdAt: cutoff - 10 }));
        await messages.savePart(
          {
            messageId: 'old-done',
            partNo: 1,
            partsTotal: 1,
            connectorId: 'c',
            carrierId: 'X1',
            status: MessageStatus.Delivered,
            carrierStatus: 'DELIVRD',
            carrierError: null,
            submittedAt: cutoff - 9,
            doneAt: cutoff - 8,
          },
          'x1',
        );
        await messages.insert(storedMessage({ id: 'old-waiting', status: MessageStatus.Accepted, createdAt: cutoff - 10 }));
        await messages.insert(storedMessage({ id: 'new-done', status: MessageStatus.Failed, createdAt: cutoff + 10 }));
        await new InboundRepo(sql).insertMessage({
          id: 'in-old',
          connectorId: 'c',
          sender: 'a',
          recipient: 'b',
          text: 't',
          partsTotal: 1,
          complete: true,
          receivedAt: cutoff - 1,
        });
        await new InboundRepo(sql).insertMessage({
          id: 'in-new',
          connectorId: 'c',
          sender: 'a',
          recipient: 'b',
          text: 't',
          partsTotal: 1,
          complete: true,
          receivedAt: cutoff + 1,
        });
        const request = { orderKey: 'k', kind: 't', url: 'http://127.0.0.1:9/', contentType: 'text/plain', body: 'x' };
        const delivered = await callbacks.insert(request, cutoff - 5);
        const pending = await callbacks.insert({ ...request, orderKey: 'p' }, cutoff - 5);
        await callbacks.delivered(delivered, 1, cutoff - 4, 200);
        expect(pending).toBeGreaterThan(delivered);
        // Dead letters, one from before the cutoff and one after it.
        await callbacks.dead(await callbacks.insert({ ...request, orderKey: 'dead-old' }, cutoff - 3), 3, 500, 'HTTP 500', cutoff - 2);
        await callbacks.dead(await callbacks.insert({ ...request, orderKey: 'dead-new' }, cutoff + 3), 3, 500, 'HTTP 500', cutoff + 4);
      });
      expect(await committer.run(() => retention.pruneMessages(cutoff, 500))).toBe(1);
      expect(await committer.run(() => retention.pruneInbound(cutoff, 500))).toBe(1);
      expect(await committer.run(() => retention.pruneCallbacks('delivered', cutoff, 500))).toBe(1);
      expect(await committer.run(() => retention.pruneCallbacks('dead', cutoff, 500))).toBe(1);
      expect(await committer.run(() => retention.pruneCalls(cutoff, 500))).toBe(0);
      expect(await committer.run(() => retention.pruneEmails(cutoff, 500))).toBe(0);
      expect((await sql.all<{ id: string }>('SELECT id FROM messages ORDER BY id')).map((r) => r.id)).toEqual(['new-done', 'old-waiting']);
      expect(await sql.all('SELECT * FROM message_parts')).toEqual([]);
      expect((await sql.all<{ message_id: string }>('SELECT message_id FROM message_seq ORDER BY message_id')).map((r) => r.message_id)).toEqual([
        'in-new',
        'new-done',
        'old-waiting',
      ]);
      expect((await sql.all<{ order_key: string }>('SELECT order_key FROM webhooks ORDER BY id')).map((r) => r.order_key)).toEqual(['p', 'dead-new']);
      // Batches: at most `limit` rows a call.
      await committer.run(async () => {
        for (let i = 0; i < 5; i++) await messages.insert(storedMessage({ id: `b${i}`, status: MessageStatus.Expired, createdAt: cutoff - 100 + i }));
      });
      expect(await committer.run(() => retention.pruneMessages(cutoff, 2))).toBe(2);
      expect(await committer.run(() => retention.pruneMessages(cutoff, 500))).toBe(3);
    }));

  test('the committer: a batch commits together, a throwing operation rolls back alone, reads see the batch', () =>
    withStore(async ({ sql, committer }) => {
      const repo = new MessageRepo(sql);
      const results = await Promise.allSettled([
        committer.run(() => repo.insert(storedMessage({ id: 'a' }))),
        committer.run(async () => {
          await repo.insert(storedMessage({ id: 'b' }));
          await repo.insert(storedMessage({ id: 'a' })); // duplicate key: this operation fails
        }),
        committer.run(async () => {
          await repo.insert(storedMessage({ id: 'c' }));
          return (await repo.get('c'))?.id; // its own write, before the commit
        }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[2] as PromiseFulfilledResult<string>).value).toBe('c');
      expect(await repo.get('b')).toBeUndefined();
      expect((await repo.listPending()).map((x) => x.id).sort()).toEqual(['a', 'c']);
    }));

  test('webhooks: new callbacks read back as stored, also after a rolled-back insert whose id another writer took', () =>
    withStore(async ({ sql, committer }) => {
      const repo = new WebhookRepo(sql);
      const request = { orderKey: 'k', kind: 't', url: 'http://127.0.0.1:9/', contentType: 'text/plain', body: 'x', headers: { h: 'v' } };
      await committer.run(() => repo.insert({ ...request, owner: 'alice', method: 'GET' }, 100));
      await expect(
        committer.run(async () => {
          await repo.insert({ ...request, orderKey: 'rolled back' }, 101);
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      // Another writer (the CLI, another process) stores the next row: on SQLite under the rolled-back row's id.
      await committer.run(() =>
        sql.run(
          `INSERT INTO webhooks (order_key, kind, url, method, content_type, headers, body, state, attempts, next_attempt_at, created_at)
           VALUES ('other', 't', 'http://127.0.0.1:9/', 'POST', 'text/plain', '{}', 'y', 'pending', 0, 102, 102)`,
        ),
      );
      await committer.run(() => repo.insert(request, 103));
      const read = await repo.pendingAfter(0);
      expect(read.map((r) => [r.orderKey, r.body, r.owner])).toEqual([
        ['k', 'x', 'alice'],
        ['other', 'y', null],
        ['k', 'x', null],
      ]);
      for (const row of read) expect(row).toEqual(await repo.byId(row.id));
      expect(await repo.pendingAfter(read[2]!.id)).toEqual([]);
    }));

  test('webhooks: ids in order, pending after an id, outcomes, dead letters replayed', () =>
    withStore(async ({ sql, committer }) => {
      const repo = new WebhookRepo(sql);
      const request = { orderKey: 'k', kind: 't', url: 'http://127.0.0.1:9/', contentType: 'text/plain', body: 'x', headers: { h: 'v' } };
      const [first, second] = await committer.run(async () => [await repo.insert(request, 100), await repo.insert({ ...request, owner: 'alice' }, 101)]);
      expect(second).toBeGreaterThan(first!);
      expect((await repo.pendingAfter(0)).map((r) => [r.id, r.headers, r.owner, r.method])).toEqual([
        [first, { h: 'v' }, null, 'POST'],
        [second, { h: 'v' }, 'alice', 'POST'],
      ]);
      await committer.run(() => repo.failed(second!, 1, 250, null, 'connection refused', 150));
      expect(await repo.failingByUrl()).toEqual([{ url: 'http://127.0.0.1:9/', pending: 1, oldestAt: 101, lastStatus: null, lastError: 'connection refused' }]);
      await committer.run(async () => {
        await repo.delivered(first!, 1, 200, 204);
        await repo.dead(second!, 3, 500, 'HTTP 500', 260);
      });
      expect(await repo.pendingIds()).toEqual([]);
      expect(await repo.countDead()).toBe(1);
      // Every attempt with its answer, for the console's message page.
      expect((await repo.ofOrderKey('k')).map((r) => r.attemptLog)).toEqual([
        [{ at: 200, attempt: 1, status: 204, error: null }],
        [
          { at: 150, attempt: 1, status: null, error: 'connection refused' },
          { at: 260, attempt: 3, status: 500, error: 'HTTP 500' },
        ],
      ]);
      expect((await repo.listDead(10)).map((r) => [r.id, r.lastError])).toEqual([[second, 'HTTP 500']]);
      expect(await committer.run(() => repo.replayDead({ ids: [second!, 999] }, 300))).toBe(1);
      expect(await repo.byId(second!)).toMatchObject({ state: 'pending', attempts: 3, nextAttemptAt: 300 });
      // Every dead letter for one URL, in one statement (the console's "Replay all for …").
      const other = await committer.run(async () => {
        const id = await repo.insert({ ...request, url: 'http://127.0.0.1:8/other' }, 400);
        await repo.dead(id, 1, 500, 'HTTP 500', 401);
        return id;
      });
      expect(await committer.run(() => repo.replayDead({ url: 'http://127.0.0.1:8/other' }, 500))).toBe(1);
      expect(await repo.byId(other)).toMatchObject({ state: 'pending', nextAttemptAt: 500 });
    }));

  test('e-mails: due in order, next due time, sent and dead', () =>
    withStore(async ({ sql, committer }) => {
      const repo = new EmailRepo(sql);
      const mail = { kind: 'T', to: ['a@example.test'], from: 'n@example.test', subject: 's', text: 't' };
      const id = await committer.run(() => repo.insert(mail, 50));
      expect(await repo.nextDueAt()).toBe(50);
      expect((await repo.due(50, 10)).map((r) => [r.id, r.to, r.html])).toEqual([[id, ['a@example.test'], null]]);
      await committer.run(() => repo.failed(id, 1, 90, 'down'));
      expect(await repo.due(60, 10)).toEqual([]);
      expect(await repo.pendingCount()).toBe(1);
      await committer.run(() => repo.sent(id, 2, 95));
      expect([await repo.pendingCount(), await repo.nextDueAt()]).toEqual([0, null]);
    }));

  test('inbound: fragments replace their twins, siblings in order, completed groups remembered', () =>
    withStore(async ({ sql, committer }) => {
      const repo = new InboundRepo(sql);
      const key = { connectorId: 'c', sender: 's', recipient: 'r', reference: 7, total: 2 };
      const part = (seq: number, text: string, at: number) => ({ ...key, seq, dataCoding: 0, payload: Buffer.from(text), receivedAt: at });
      await committer.run(async () => {
        await repo.insertFragment(part(2, 'second', 10));
        await repo.insertFragment(part(1, 'first?', 11));
        await repo.insertFragment(part(1, 'first', 12));
      });
      expect((await repo.siblings(key)).map((f) => [f.seq, f.payload.toString()])).toEqual([
        [1, 'first'],
        [2, 'second'],
      ]);
      expect((await repo.oldestStale(11))?.seq).toBe(2);
      await committer.run(async () => {
        await repo.deleteSiblings(key);
        await repo.rememberCompleted(key, 20);
        await repo.insertMessage({
          id: 'i1',
          connectorId: 'c',
          sender: 's',
          recipient: 'r',
          text: 'firstsecond',
          partsTotal: 2,
          complete: true,
          receivedAt: 20,
        });
      });
      expect([await repo.completedSince(key, 20), await repo.completedSince(key, 21)]).toEqual([true, false]);
      expect(await repo.get('i1')).toMatchObject({ text: 'firstsecond', complete: true });
      expect(await committer.run(() => repo.forgetCompletedBefore(21))).toBe(1);
    }));

  test("inbox: a user's undownloaded messages oldest first, marks per user, marks gone with the message", () =>
    withStore(async ({ sql, committer }) => {
      const inbound = new InboundRepo(sql);
      const inbox = new InboxRepo(sql);
      const received = (id: string, recipient: string, at: number) =>
        inbound.insertMessage({ id, connectorId: 'c', sender: '15557654321', recipient, text: `text ${id}`, partsTotal: 1, complete: true, receivedAt: at });
      await committer.run(async () => {
        await received('a', '15550002222', 10);
        await received('b', '+15550002222', 11);
        await received('other', '15559999999', 12);
        await received('c', '0015550002222', 13);
      });
      const take = (user: string, limit: number, after: 'delete' | 'mark' | 'leave') =>
        committer.run(async () => (await inbox.download(user, ['+15550002222'], limit, after, 100)).map((m) => m.id));
      expect(await take('jane', 10, 'leave')).toEqual(['a', 'b', 'c']);
      // WaitForMsg's read: the oldest from a sender (to a recipient) since a time.
      expect((await inbound.firstFrom(['15557654321'], ['+15550002222'], 11))?.id).toBe('b');
      expect((await inbound.firstFrom(['15557654321'], null, 12))?.id).toBe('other');
      expect(await inbound.firstFrom(['15557654321'], null, 14)).toBeUndefined();
      expect(await take('jane', 2, 'delete')).toEqual(['a', 'b']);
      expect(await take('jane', 10, 'mark')).toEqual(['c']);
      expect(await take('jane', 10, 'leave')).toEqual([]);
      // Another user of the number (after it changed hands) has downloaded nothing yet.
      expect(await take('desk', 1, 'leave')).toEqual(['a']);
      expect(await committer.run(() => new RetentionRepo(sql).pruneInbound(12, 100))).toBe(2);
      expect(await sql.all('SELECT message_id FROM inbox_downloads ORDER BY message_id')).toEqual([{ message_id: 'c' }]);
    }));

  test('call flows: one name per user, renamed by update, listed newest first, deleted', () =>
    withStore(async ({ sql, committer }) => {
      const repo = new CallFlowRepo(sql);
      const flow = (user: string, name: string, at: number) => ({ user, name, notes: `n ${name}`, xml: `<callFlow name="${name}"/>`, createdAt: at });
      expect(await committer.run(() => repo.create(flow('alice', 'A', 1)))).toBe(true);
      expect(await committer.run(() => repo.create(flow('alice', 'A', 2)))).toBe(false);
      expect(await committer.run(() => repo.create(flow('bob', 'A', 3)))).toBe(true);
      expect(await committer.run(() => repo.create(flow('alice', 'B', 4)))).toBe(true);
      expect(await committer.run(() => repo.update('alice', 'A', { name: 'A2', notes: 'v2', xml: '<callFlow name="A2"/>', at: 5 }))).toBe(true);
      expect(await committer.run(() => repo.update('alice', 'gone', { name: 'x', notes: '', xml: '', at: 6 }))).toBe(false);
      expect(await repo.get('alice', 'A')).toBeUndefined();
      expect(await repo.get('alice', 'A2')).toEqual({ user: 'alice', name: 'A2', notes: 'v2', xml: '<callFlow name="A2"/>', createdAt: 1, updatedAt: 5 });
      const listed = await repo.list('alice', 10, 0);
      expect([listed.total, listed.flows.map((f) => f.name)]).toEqual([2, ['B', 'A2']]);
      expect((await repo.list('alice', 1, 1)).flows.map((f) => f.name)).toEqual(['A2']);
      expect(await committer.run(() => repo.delete('alice', 'B'))).toBe(true);
      expect(await committer.run(() => repo.delete('alice', 'B'))).toBe(false);
      expect((await repo.list('bob', 10, 0)).flows.map((f) => f.name)).toEqual(['A']);
    }));

  test('unmatched receipts, quotas and per-number settings', () =>
    withStore(async ({ sql, committer }) => {
      const receipts = new UnmatchedReceiptRepo(sql);
      const event = { connectorId: 'c', carrierId: 'X1', status: MessageStatus.Delivered, stat: 'DELIVRD', err: '000' } as ReceiptEvent;
      await committer.run(async () => {
        await receipts.insert(event, 'x1', 100);
        await receipts.insert({ ...event, carrierId: 'X2' }, 'x2', 200);
      });
      expect((await receipts.find('c', ['x2'])).map((r) => r.event.carrierId)).toEqual(['X2']);
      expect((await receipts.settled(0, 150, 10)).map((r) => r.receivedAt)).toEqual([100]);
      expect([await committer.run(() => receipts.purgeOlderThan(150)), await receipts.count()]).toEqual([1, 1]);

      const quota = new QuotaRepo(sql);
      await committer.run(async () => {
        await quota.add('alice', 'day:2026-12-02', 2);
        await quota.add('alice', 'day:2026-12-02', 3);
      });
      expect([await quota.used('alice', 'day:2026-12-02'), await quota.used('bob', 'day:2026-12-02')]).toEqual([5, 0]);

      const numbers = new NumberSettingsRepo(sql);
      await committer.run(async () => {
        await numbers.setSmsEnabled('+361', false, 'alice', 1);
        await numbers.setSmsEnabled('+362', false, 'alice', 1);
        await numbers.setSmsEnabled('+362', true, 'alice', 2);
      });
      expect(await numbers.listSmsDisabled()).toEqual(['+361']);
    }));

  test('contacts: creation order, names without case, the next numeric id', () =>
    withStore(async ({ sql, committer }) => {
      const repo = new ContactRepo(sql);
      const contact = (id: string, displayName: string) => ({
        id,
        displayName,
        phoneNumbers: ['+36'],
        primaryEmails: [],
        secondaryEmails: [],
        createdAt: 1,
        updatedAt: 1,
      });
      await committer.run(async () => {
        await repo.insert(contact('9', 'Bob'));
        await repo.insert(contact('x', 'bob'));
        await repo.insert(contact('10', 'Carol'));
      });
      expect((await repo.list()).map((c) => c.id)).toEqual(['9', 'x', '10']);
      expect((await repo.findByName('BOB')).map((c) => c.id)).toEqual(['9', 'x']);
      expect(await repo.nextNumericId()).toBe('11');
      expect(await committer.run(() => repo.update({ ...contact('x', 'Robert'), updatedAt: 2 }))).toBe(true);
      expect(await committer.run(() => repo.delete('nope'))).toBe(false);
      expect((await repo.get('x'))?.displayName).toBe('Robert');
    }));

  test('call history, SMS failovers (a claim is taken once) and the SMPP server queues', () =>
    withStore(async ({ sql, committer }) => {
      const calls = new CallHistoryRepo(sql);
      const row = {
        callId: 'c1',
        direction: 'inbound' as const,
        source: 'a',
        callerId: 'a',
        destination: 'b',
        dialed: 'b',
        state: 'Completed',
        endReason: 'bye',
        startTime: 5,
        answeredAt: 6,
        endedAt: 9,
      };
      await committer.run(async () => {
        await calls.insert(row);
        await calls.insert({ ...row, state: 'Failed' });
      });
      expect(await calls.list({ page: 0, rowsPerPage: 10, state: 'failed' })).toEqual({ total: 1, rows: [{ ...row, state: 'Failed' }] });

      await committer.run(() => new MessageRepo(sql).insert(storedMessage({ id: 'm1', user: 'alice' })));
      const failovers = new SmsFailoverRepo(sql);
      const event = { messageId: 'm1', linkId: 'L', origin: 'o', destination: 'd', content: 'c', smsStatus: 'failed' };
      expect(await committer.run(() => failovers.insertPending(event, 1))).toBe(true);
      expect(await committer.run(() => failovers.insertPending(event, 1))).toBe(false);
      expect((await failovers.due(1, 10)).map((f) => [f.messageId, f.user])).toEqual([['m1', 'alice']]);
      const claims = await Promise.all([failovers.claim('m1', 2), failovers.claim('m1', 2)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await failovers.nextDueAt()).toBeNull();

      const smpp = new SmppServerRepo(sql);
      const part = {
        systemId: 'app',
        sender: 's',
        recipient: 'r',
        reference: 1,
        total: 2,
        seq: 1,
        partId: 'p.1',
        dataCoding: 8,
        payload: Buffer.from([0, 65]),
        registeredDelivery: 1,
        receivedAt: 3,
      };
      await committer.run(async () => {
        await smpp.insertPart(part);
        await smpp.enqueue({ systemId: 'app', orderKey: 'k', kind: 'receipt', createdAt: 4, fields: { short_message: Buffer.from('id:1'), esm_class: 4 } });
      });
      expect((await smpp.siblings(part)).map((p) => p.payload)).toEqual([Buffer.from([0, 65])]);
      const [queued] = await smpp.oldest('app', 10);
      expect(queued).toMatchObject({ kind: 'receipt', fields: { short_message: Buffer.from('id:1'), esm_class: 4 } });
      expect(await smpp.backlog()).toEqual(new Map([['app', 1]]));
    }));

  test("history: one numeric id per message from one sequence, both directions, the user's own", () =>
    withStore(async ({ sql, committer }) => {
      const messages = new MessageRepo(sql);
      const inbound = new InboundRepo(sql);
      await committer.run(async () => {
        await messages.insert(storedMessage({ id: 'o1', user: 'alice', recipient: '+447700900001', createdAt: 1 }));
        await inbound.insertMessage({
          id: 'i1',
          connectorId: 'c',
          sender: '447700900002',
          recipient: '447443332211',
          text: 'hi',
          partsTotal: 1,
          complete: true,
          receivedAt: 2,
        });
        await messages.insert(storedMessage({ id: 'o2', user: 'bob', createdAt: 3 }));
      });
      const history = new MessageHistoryRepo(sql);
      const [o1, i1] = [await history.seqOf('out', 'o1'), await history.seqOf('in', 'i1')];
      expect(i1).toBeGreaterThan(o1!);
      const { total, entries } = await history.list({ user: 'alice', ownNumbers: ['+447443332211'], limit: 10, offset: 0 });
      expect([total, entries.map((e) => `${e.direction}:${e.id}:${e.seq}`)]).toEqual([2, [`out:o1:${o1}`, `in:i1:${i1}`]]);
      expect((await history.list({ user: 'alice', ownNumbers: [], statuses: [], limit: 10, offset: 0 })).total).toBe(0);
    }));
});

describe.skipIf(kinds[1]!.missing)('cluster claims (PostgreSQL)', () => {
  it("messages, callbacks, e-mails and failover calls go to one node; a gone node's are taken, a live node's are not", async () => {
    const store = await kinds[1]!.open();
    try {
      const { sql, committer } = store;
      const cluster = new ClusterRepo(sql);
      for (const node of ['live', 'me', 'other']) await cluster.beat(node, 1, null, node === 'live' ? ['gsm', 'carrier'] : []);
      await sql.run("INSERT INTO cluster_nodes (id, started_at, heartbeat_at) VALUES ('gone', 1, 0)");
      // What each node has up travels with its heartbeat; a row from before the column reads as nothing up.
      const up = new Map((await cluster.nodes()).map((n) => [n.id, n.connectorsUp]));
      expect(Object.fromEntries(up)).toEqual({ gone: [], live: ['gsm', 'carrier'], me: [], other: [] });
      const messages = new MessageRepo(sql);
      await committer.run(async () => {
        await messages.insert(storedMessage({ id: 'of-live', claimedBy: 'live' }));
        await messages.insert(storedMessage({ id: 'of-live-since', claimedBy: 'live', createdAt: 200 }));
        await messages.insert(storedMessage({ id: 'of-gone', claimedBy: 'gone' }));
        await messages.insert(storedMessage({ id: 'of-nobody' }));
        await messages.insert(storedMessage({ id: 'later', claimedBy: 'gone', nextAttemptAt: 10_000 }));
      });
      const [first, second] = await Promise.all([messages.claimDue('me', 3000, 5000, 10, null), messages.claimDue('other', 3000, 5000, 10, null)]);
      expect([...first, ...second].map((m) => m.id).sort()).toEqual(['of-gone', 'of-nobody']); // each once, a live node's never
      // Its own from before its restart (created before 100), not what it accepted since (being sent now).
      expect((await messages.claimDue('live', 3000, 5000, 10, 100)).map((m) => m.id)).toEqual(['of-live']);

      const webhooks = new WebhookRepo(sql, 'gone');
      const request = { kind: 't', url: 'http://127.0.0.1:9/', contentType: 'text/plain', body: 'x' };
      await committer.run(async () => {
        await webhooks.insert({ ...request, orderKey: 'k1' }, 1);
        await new WebhookRepo(sql, 'live').insert({ ...request, orderKey: 'k1' }, 2); // joins the key's holder: 'gone'
        await new WebhookRepo(sql, 'live').insert({ ...request, orderKey: 'k2' }, 3);
      });
      const taken = await webhooks.claimOrphans('me', 3000, 10);
      expect(taken.map((w) => [w.orderKey, w.id])).toEqual([
        ['k1', taken[0]!.id],
        ['k1', taken[1]!.id],
      ]);
      expect((await webhooks.pendingOf('live', 0)).map((w) => w.orderKey)).toEqual(['k2']);

      const emails = new EmailRepo(sql);
      await committer.run(() => emails.insert({ kind: 'T', to: ['a@example.test'], from: 'n@example.test', subject: 's', text: 't' }, 100));
      const [a, b] = await Promise.all([emails.claimDue(200, 60_000, 10), emails.claimDue(200, 60_000, 10)]);
      expect(a.length + b.length).toBe(1);
      expect(await emails.claimDue(60_000, 60_000, 10)).toEqual([]); // leased until 60,200
      expect(await emails.claimDue(60_300, 60_000, 10)).toHaveLength(1); // the sender died: due again

      const failovers = new SmsFailoverRepo(sql);
      const event = { linkId: 'L', origin: 'o', destination: 'd', content: 'c', smsStatus: 'failed' };
      await committer.run(async () => {
        await failovers.insertPending({ ...event, messageId: 'of-live' }, 1);
        await failovers.insertPending({ ...event, messageId: 'of-gone' }, 1);
      });
      expect(await failovers.claim('of-live', 2, 'live')).toBe(true);
      expect(await failovers.claim('of-gone', 2, 'gone')).toBe(true);
      expect(await failovers.recoverCalling(3, { nodeId: 'me', leaseMs: 3000, own: false })).toBe(1); // the gone node's call only
      expect((await failovers.get('of-live'))!.state).toBe('calling');

      expect(await cluster.holdBindSlots('smsc', 2, 'live', 3000, 1)).toEqual([1]);
      expect(await cluster.holdBindSlots('smsc', 2, 'me', 3000, 2)).toEqual([2]); // slot 1 is a live node's
    } finally {
      await store.close();
    }
  });
});
