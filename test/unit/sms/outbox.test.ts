/**
 * The outbox (src/sms/outbox.ts) over an in-memory store and a connector whose
 * answers the test decides: validation that stores nothing, one submit per
 * part, retries of what may succeed later, failure of what cannot, waiting
 * for a connector that is down, and recovery of what a previous run left.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, type OutboxDeps } from '../../../src/sms/outbox.js';
import { Router } from '../../../src/sms/router.js';
import { StatusWriter } from '../../../src/sms/status-writer.js';
import { MessageStatus } from '../../../src/sms/message.js';
import { planSegments } from '../../../src/sms/encoding/index.js';
import { silentLogger } from '../../../src/shared/log.js';
import { FakeConnector } from '../../support/fake-connector.js';
import { fakeCommitter } from '../../support/fake-committer.js';
import { FakeMessageStore } from '../../support/fake-message-store.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const outboxes: Outbox[] = [];
afterEach(async () => {
  for (const outbox of outboxes.splice(0)) await outbox.stop(0);
});

function setup(
  routes = [{ recipient: { prefix: ['+36'] }, connectors: ['fake'] }],
  requestReceipts = true,
  committer: OutboxDeps['committer'] = fakeCommitter,
  extra: Partial<OutboxDeps> = {},
) {
  const store = new FakeMessageStore();
  /** The messages handed to the receipt processor to hold for their receipt (decision 0114), and taken back. */
  const held: string[] = [];
  const connector = new FakeConnector();
  const notified: string[] = [];
  const statusWriter = new StatusWriter(store, async (message) => void notified.push(message.status));
  const outbox = new Outbox({
    repo: store,
    committer,
    statusWriter,
    receipts: {
      matchWaiting: async () => undefined,
      remember: (_connectorId, written) => void held.push(written.message.id),
      forget: (_connectorId, written) => void held.splice(held.indexOf(written.message.id), 1),
    },
    router: new Router(routes),
    connectors: new Map([[connector.id, connector]]),
    config: { maxParts: 3, defaultSender: 'telenode', requestReceipts, retry: { initialMs: 5, maxMs: 20, maxAgeHours: 1 } },
    log: silentLogger(),
    ...extra,
  });
  outboxes.push(outbox);
  return { store, connector, outbox, notified, held };
}

const request = (text = 'hello', recipient = '+36301234567') => ({ user: 'u', dialect: 'ozeki', recipient, text });

describe('outbox', () => {
  it('refuses an empty text, a text over maxParts and a recipient without a route, storing nothing', async () => {
    const { outbox, store } = setup();
    await expect(outbox.accept(request(''))).rejects.toMatchObject({ code: 'TN_ERR_MESSAGE_EMPTY' });
    await expect(outbox.accept(request('x'.repeat(153 * 3 + 1)))).rejects.toMatchObject({ code: 'TN_ERR_MESSAGE_TOO_LONG' });
    await expect(outbox.accept(request('hi', '+44700900000'))).rejects.toMatchObject({ code: 'TN_ERR_ROUTE_NOT_FOUND' });
    expect(store.messages.size).toBe(0);
  });

  it('stores the message before answering, then submits each part once and records the carrier ids', async () => {
    const { outbox, store, connector } = setup();
    outbox.start();
    const message = await outbox.accept(request('long '.repeat(40)));
    expect(await store.get(message.id)).toBeDefined();
    await waitUntil(async () => (await store.get(message.id))!.status === MessageStatus.Submitted, 2000, 'submitted');
    expect(connector.submitted.map((p) => [p.partNo, p.partsTotal, p.concat?.seq])).toEqual([
      [1, 2, 1],
      [2, 2, 2],
    ]);
    expect(new Set(connector.submitted.map((p) => p.concat!.reference)).size).toBe(1);
    expect((await store.parts(message.id)).map((p) => p.carrierId)).toEqual(['C1', 'C2']);
  });

  it('retries a part that may succeed later, and a clean retry clears the error', async () => {
    const { outbox, store, connector } = setup();
    connector.answers.push(FakeConnector.retryable());
    outbox.start();
    const message = await outbox.accept(request());
    await waitUntil(async () => (await store.get(message.id))!.status === MessageStatus.Submitted, 2000, 'submitted on the retry');
    expect(connector.submitted).toHaveLength(2);
    expect(await store.get(message.id)).toMatchObject({ attempts: 1, errorCode: null });
  });

  it('fails a part the carrier refuses for good, keeping its status, without retrying', async () => {
    const { outbox, store, connector, notified } = setup();
    connector.answers.push(FakeConnector.refused());
    outbox.start();
    const message = await outbox.accept(request());
    await waitUntil(async () => (await store.get(message.id))!.status === MessageStatus.Failed, 2000, 'failed');
    expect(await store.get(message.id)).toMatchObject({ errorCode: 'TN_ERR_SMPP_REJECTED', carrierStatus: '0x0000000b' });
    expect(connector.submitted).toHaveLength(1);
    expect(notified).toEqual([MessageStatus.Failed]);
  });

  it("waits while the route's connector is down and sends when it comes back", async () => {
    const { outbox, store, connector } = setup();
    connector.up = false;
    outbox.start();
    const message = await outbox.accept(request());
    await waitUntil(() => outbox.stats().parked === 1, 2000, 'parked');
    expect(connector.submitted).toHaveLength(0);
    connector.up = true;
    outbox.connectorStateChanged(true);
    await waitUntil(async () => (await store.get(message.id))!.status === MessageStatus.Submitted, 2000, 'sent once up');
  });

  it('on start, sends what a previous run accepted and never sent', async () => {
    const { outbox, store, connector } = setup();
    const left = store.add({ recipient: '+36301111111', text: 'left behind' });
    outbox.start();
    await waitUntil(async () => (await store.get(left.id))!.status === MessageStatus.Submitted, 2000, 'recovered and sent');
    expect(connector.submitted.map((p) => p.messageId)).toEqual([left.id]);
  });

  it('hands a submitted message to be held for its receipt only once committed, and only when a receipt was asked for', async () => {
    for (const requestReceipts of [true, false]) {
      const { outbox, store, held } = setup(undefined, requestReceipts);
      outbox.start();
      const message = await outbox.accept(request());
      await waitUntil(async () => (await store.get(message.id))!.status === MessageStatus.Submitted, 2000, 'submitted');
      await outbox.stop(2000); // the submit result recorded and committed: whatever was to be held, is
      expect(held).toEqual(requestReceipts ? [message.id] : []);
    }
  });

  it('on a serial committer holds the message inside the transaction that records its submit result, and takes it back if that transaction fails', async () => {
    let failCommits = false;
    const heldWhenCommitting: string[][] = [];
    const serial: OutboxDeps['committer'] = {
      serial: true,
      run: (op) => fakeCommitter.run(op),
      defer: async (op) => {
        const value = await fakeCommitter.run(op);
        heldWhenCommitting.push([...held]);
        if (failCommits) throw new Error('disk I/O error');
        return value;
      },
    };
    const { outbox, store, held } = setup(undefined, true, serial);
    outbox.start();
    const first = await outbox.accept(request());
    await waitUntil(async () => (await store.get(first.id))!.status === MessageStatus.Submitted, 2000, 'submitted');
    expect(heldWhenCommitting.at(-1)).toEqual([first.id]); // a receipt queued behind the write would have found it
    expect(held).toEqual([first.id]);

    failCommits = true;
    const second = await outbox.accept(request());
    await waitUntil(async () => heldWhenCommitting.some((h) => h.includes(second.id)), 2000, 'the second submit result written');
    await waitUntil(async () => !held.includes(second.id), 2000, 'taken back after the failed commit');
    expect(held).toEqual([first.id]);
  });

  it('sends no more than its pipeline while answers wait for a commit: a stalled disk pauses sending, so a crash re-sends at most that', async () => {
    let stalled = true;
    const stall: Array<() => void> = [];
    let committedParts = 0;
    const slowDisk: OutboxDeps['committer'] = {
      serial: false,
      run: (op) => fakeCommitter.run(op),
      defer: async (op) => {
        if (stalled) await new Promise<void>((resolve) => stall.push(resolve));
        const value = await fakeCommitter.run(op);
        committedParts++;
        return value;
      },
    };
    // A pipeline of 4: what is on the wire and what is answered but not yet on disk, together.
    const { outbox, store, connector } = setup(undefined, true, slowDisk);
    connector.pipelineLimit = 4;
    outbox.start();
    const messages = await Promise.all(Array.from({ length: 30 }, (_, i) => outbox.accept(request(`message ${i}`))));
    await waitUntil(() => outbox.stats().inFlight === 30 && stall.length === 4, 2000, 'every message on its way, four answers waiting');
    await new Promise((resolve) => setImmediate(resolve));
    expect(connector.submitted).toHaveLength(4); // the other 26 wait for room, not for the carrier
    let mostUncommitted = 0;
    const watch = setInterval(() => (mostUncommitted = Math.max(mostUncommitted, connector.submitted.length - committedParts)), 1);
    try {
      stalled = false;
      stall.splice(0).forEach((commit) => commit());
      await waitUntil(
        async () => (await Promise.all(messages.map((m) => store.get(m.id)))).every((m) => m!.status === MessageStatus.Submitted),
        5000,
        'all sent',
      );
    } finally {
      clearInterval(watch);
    }
    expect(connector.submitted).toHaveLength(30);
    expect(mostUncommitted).toBeLessThanOrEqual(4);
  });
});

describe('outbox: scheduled sending', () => {
  /** Node's timers run on a monotonic clock and may fire a millisecond before Date.now() reaches their time. */
  const EARLY_TIMER_MS = 2;
  /** The connector's submits, each with the time it was handed the part. */
  function timed(connector: FakeConnector): Array<{ id: string; at: number }> {
    const submits: Array<{ id: string; at: number }> = [];
    const submit = connector.submit.bind(connector);
    connector.submit = (part) => {
      submits.push({ id: part.messageId, at: Date.now() });
      return submit(part);
    };
    return submits;
  }
  const scheduled = (sendAt: number, recipient = '+36301234567') => ({ ...request('see you at nine', recipient), sendAt });

  it('sends a message scheduled within the horizon at its time, not at its acceptance', async () => {
    const { outbox, store, connector } = setup(undefined, true, fakeCommitter, { scheduleHorizonMs: 10_000 });
    const submits = timed(connector);
    await outbox.start();
    const sendAt = Date.now() + 400;
    const message = await outbox.accept(scheduled(sendAt));
    expect(await store.get(message.id)).toMatchObject({ status: MessageStatus.Accepted, sendAt, nextAttemptAt: sendAt });
    expect(outbox.stats().retrying).toBe(1);
    await waitUntil(async () => (await store.get(message.id))!.status === MessageStatus.Submitted, 5000, 'sent at its time');
    expect(submits).toHaveLength(1);
    expect(submits[0]!.at).toBeGreaterThanOrEqual(sendAt - EARLY_TIMER_MS);
  });

  it('holds a message scheduled past the horizon nowhere in memory, and reads it from the store as its time nears', async () => {
    const { outbox, store, connector } = setup(undefined, true, fakeCommitter, { scheduleHorizonMs: 100 });
    const submits = timed(connector);
    const fromBefore = store.add({ sendAt: Date.now() + 600, nextAttemptAt: Date.now() + 600 });
    await outbox.start();
    const sendAt = Date.now() + 700;
    const message = await outbox.accept(scheduled(sendAt));
    expect(outbox.stats().retrying).toBe(0);
    await waitUntil(async () => (await store.get(message.id))!.status === MessageStatus.Submitted, 5000, 'sent at its time');
    expect((await store.get(fromBefore.id))!.status).toBe(MessageStatus.Submitted);
    expect(submits.map((s) => s.id).sort()).toEqual([fromBefore.id, message.id].sort());
    expect(submits.find((s) => s.id === message.id)!.at).toBeGreaterThanOrEqual(sendAt - EARLY_TIMER_MS);
    expect(submits.find((s) => s.id === fromBefore.id)!.at).toBeGreaterThanOrEqual(fromBefore.sendAt! - EARLY_TIMER_MS);
    expect(store.scheduledReads).toBeGreaterThan(2);
  });

  it('sends each of more scheduled messages than one read holds exactly once, however many share a send time', async () => {
    const { outbox, store, connector } = setup(undefined, true, fakeCommitter, { scheduleHorizonMs: 200 });
    const sendAt = Date.now() + 500;
    for (let i = 0; i < 1201; i++) store.add({ id: `s${String(i).padStart(4, '0')}`, sendAt: sendAt + (i % 2), nextAttemptAt: sendAt });
    await outbox.start();
    await waitUntil(() => connector.submitted.length >= 1201, 10_000, 'all sent');
    await waitUntil(async () => (await store.listPending()).length === 0, 5000, 'all recorded');
    expect(new Set(connector.submitted.map((p) => p.messageId)).size).toBe(1201);
    expect(connector.submitted).toHaveLength(1201);
  });

  it('holds no more scheduled messages in memory than its cap, and goes on reading as they go: each sent once', async () => {
    const { outbox, store, connector } = setup(undefined, true, fakeCommitter, { scheduleHorizonMs: 2000, scheduleHeldMax: 50 });
    const sendAt = Date.now() + 300;
    for (let i = 0; i < 400; i++) store.add({ id: `s${String(i).padStart(3, '0')}`, sendAt, nextAttemptAt: sendAt });
    let most = 0;
    const sample = setInterval(() => {
      const { retrying, ready } = outbox.stats();
      most = Math.max(most, retrying + ready);
    }, 1);
    try {
      await outbox.start();
      await waitUntil(() => connector.submitted.length >= 400, 10_000, 'all sent');
    } finally {
      clearInterval(sample);
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(50);
    expect(new Set(connector.submitted.map((p) => p.messageId)).size).toBe(400);
    expect(connector.submitted).toHaveLength(400);
  });

  it('sends a send time already come at once, and refuses one at or after the expiry, storing nothing', async () => {
    const { outbox, store } = setup();
    await outbox.start();
    const now = Date.now();
    await expect(outbox.accept({ ...scheduled(now + 60_000), expiresAt: now + 60_000 })).rejects.toMatchObject({ code: 'TN_ERR_MESSAGE_SCHEDULE_INVALID' });
    expect(store.messages.size).toBe(0);
    const due = await outbox.accept(scheduled(now - 1000));
    expect(due.sendAt).toBeNull();
    await waitUntil(async () => (await store.get(due.id))!.status === MessageStatus.Submitted, 2000, 'sent at once');
  });

  it('sends a scheduled message whose cancel could not be stored at its time, not at once', async () => {
    let failNext = false;
    const committer = {
      ...fakeCommitter,
      run<T>(operation: Parameters<typeof fakeCommitter.run<T>>[0]): Promise<T> {
        if (!failNext) return fakeCommitter.run(operation);
        failNext = false;
        return Promise.reject(new Error('the disk went away'));
      },
    };
    const { outbox, store, connector } = setup(undefined, true, committer, { scheduleHorizonMs: 10_000 });
    const submits = timed(connector);
    await outbox.start();
    const sendAt = Date.now() + 400;
    const message = await outbox.accept(scheduled(sendAt));
    failNext = true;
    await expect(outbox.cancel(message.id)).rejects.toThrow('the disk went away');
    await waitUntil(async () => (await store.get(message.id))!.status === MessageStatus.Submitted, 5000, 'sent after all');
    expect(submits[0]!.at).toBeGreaterThanOrEqual(sendAt - EARLY_TIMER_MS);
  });

  it('replaces the text and the send time of a message that waits for its time, and sends what replaced it then', async () => {
    const { outbox, store, connector } = setup(undefined, true, fakeCommitter, { scheduleHorizonMs: 200 });
    const submits = timed(connector);
    await outbox.start();
    const message = await outbox.accept(scheduled(Date.now() + 60_000));
    const sendAt = Date.now() + 400;
    expect(await outbox.replace(message.id, { text: 'moved to ten', sendAt, meta: { smpp: { parts: 0, registeredDelivery: 1 } } })).toBe(true);
    expect(await store.get(message.id)).toMatchObject({ text: 'moved to ten', sendAt, nextAttemptAt: sendAt, meta: { smpp: { registeredDelivery: 1 } } });
    await waitUntil(async () => (await store.get(message.id))!.status === MessageStatus.Submitted, 5000, 'sent at its new time');
    expect(submits[0]!.at).toBeGreaterThanOrEqual(sendAt - EARLY_TIMER_MS);
    expect(connector.submitted[0]!.payload).toEqual(planSegments('moved to ten', { concat: 'udh8' }).parts[0]!.payload);
    // Sent: nothing to replace any more.
    expect(await outbox.replace(message.id, { text: 'too late' })).toBe(false);
  });

  it('holds a message given a later send time while it was queued behind others until that time', async () => {
    const { outbox, store, connector } = setup(undefined, true, fakeCommitter, { maxInFlight: 1 });
    const submits = timed(connector);
    connector.answers.push('hold');
    await outbox.start();
    const first = await outbox.accept(request('first'));
    await waitUntil(() => connector.submitted.length === 1, 2000, 'the first in flight');
    const queued = await outbox.accept(request('second'));
    expect(outbox.stats().ready).toBe(1);
    const sendAt = Date.now() + 400;
    expect(await outbox.replace(queued.id, { sendAt })).toBe(true);
    connector.release();
    await waitUntil(async () => (await store.get(queued.id))!.status === MessageStatus.Submitted, 5000, 'sent at its time');
    expect(submits.map((s) => s.id)).toEqual([first.id, queued.id]);
    expect(submits[1]!.at).toBeGreaterThanOrEqual(sendAt - EARLY_TIMER_MS);
  });

  it('refuses a replacement accept() would refuse, and changes nothing', async () => {
    const { outbox, store } = setup();
    await outbox.start();
    const now = Date.now();
    const message = await outbox.accept({ ...scheduled(now + 60_000), expiresAt: now + 120_000 });
    await expect(outbox.replace(message.id, { text: 'x'.repeat(153 * 3 + 1) })).rejects.toMatchObject({ code: 'TN_ERR_MESSAGE_TOO_LONG' });
    await expect(outbox.replace(message.id, { sendAt: now + 120_000 })).rejects.toMatchObject({ code: 'TN_ERR_MESSAGE_SCHEDULE_INVALID' });
    expect(await store.get(message.id)).toMatchObject({ text: 'see you at nine', sendAt: now + 60_000 });
    expect(await outbox.replace('no-such-message', { text: 'hi' })).toBe(false);
  });

  it('cancels a scheduled message, held or still in the store, and never sends it', async () => {
    const { outbox, store, connector } = setup(undefined, true, fakeCommitter, { scheduleHorizonMs: 200 });
    await outbox.start();
    const held = await outbox.accept(scheduled(Date.now() + 150));
    const later = await outbox.accept(scheduled(Date.now() + 60_000));
    const control = await outbox.accept(scheduled(Date.now() + 300));
    expect(await outbox.cancel(held.id)).toBe(true);
    expect(await outbox.cancel(later.id)).toBe(true);
    await waitUntil(async () => (await store.get(control.id))!.status === MessageStatus.Submitted, 5000, 'the control sent');
    expect((await store.get(held.id))!).toMatchObject({ status: MessageStatus.Failed, errorCode: 'TN_ERR_MESSAGE_CANCELLED' });
    expect((await store.get(later.id))!).toMatchObject({ status: MessageStatus.Failed, errorCode: 'TN_ERR_MESSAGE_CANCELLED' });
    expect(connector.submitted.map((p) => p.messageId)).toEqual([control.id]);
  });
});
