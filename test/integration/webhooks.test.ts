/** Durable callbacks against real HTTP receivers on loopback, SQLite on disk. */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebhookRepo } from '../../src/store/webhook-repo.js';
import { silentLogger } from '../../src/shared/log.js';
import { WebhookDispatcher, webhookConfigSchema } from '../../src/webhooks/index.js';
import { HttpReceiver } from '../helpers/http-receiver.js';
import { waitUntil } from '../helpers/temp-dir.js';
import { postgresKind, sqliteKind, type OpenedStore, type StoreKind } from '../support/store-under-test.js';

const sqlite = sqliteKind();
const postgres = postgresKind();
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  await sqlite.shutdown();
  await postgres.shutdown();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let storeKind: StoreKind = sqlite;

async function setup(overrides: Record<string, unknown> = {}, opened?: OpenedStore) {
  const store = opened ?? (await storeKind.open());
  const { sql, committer } = store;
  const repo = new WebhookRepo(sql);
  const config = webhookConfigSchema.parse({ backoff: { initialMs: 50, maxMs: 200, factor: 2, jitter: 0 }, timeoutMs: 500, sweepSeconds: 0.2, ...overrides });
  const dispatcher = new WebhookDispatcher({ store: repo, committer, config, log: silentLogger() });
  cleanups.push(async () => {
    await dispatcher.stop(1000);
    await store.close();
  });
  const enqueue = async (url: string, orderKey: string, body: string) => {
    const id = await committer.run(() =>
      repo.insert({ orderKey, kind: 'test', url, contentType: 'application/x-www-form-urlencoded', headers: { 'x-extra': 'yes' }, body }, Date.now()),
    );
    dispatcher.kick();
    return id;
  };
  /** A callback's state as stored. */
  const stateOf = async (id: number) => (await sql.get<{ state: string }>('SELECT state FROM webhooks WHERE id = ?', [id]))?.state;
  return { sql, store: repo, committer, dispatcher, enqueue, stateOf };
}

describe.each([
  ['stored in SQLite', sqlite],
  ['stored in PostgreSQL', postgres],
] as const)('webhook outbox, %s', (_label, store) => {
  beforeEach(() => {
    storeKind = store;
  });
  if (store.missing) it.skip(`skipped: ${store.missing}`, () => undefined);
  const it_ = store.missing ? it.skip : it;

  it_('delivers method, content type, headers and body as stored, signed when a secret is set', async () => {
    const receiver = await new HttpReceiver().start();
    cleanups.push(() => receiver.stop());
    const { dispatcher, enqueue } = await setup({ signingSecret: 'top-secret-key' });
    await dispatcher.start();
    await enqueue(receiver.url('/cb?x=1'), 'm1', 'NotificationName=SMSDeliveryReport&SmsId=1');
    await receiver.waitFor((r) => r.length === 1);
    const got = receiver.requests[0]!;
    expect(got).toMatchObject({ method: 'POST', url: '/cb?x=1', body: 'NotificationName=SMSDeliveryReport&SmsId=1' });
    expect(got.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(got.headers['x-extra']).toBe('yes');
    const [t, v1] = String(got.headers['x-telenode-signature'])
      .split(',')
      .map((p) => p.split('=')[1]);
    expect(v1).toBe(createHmac('sha256', 'top-secret-key').update(`${t}.${got.body}`).digest('hex'));
  });

  it_('retries while the receiver is down and delivers everything, in order per key, once it is back', async () => {
    const probe = await new HttpReceiver().start();
    const port = probe.port;
    await probe.stop();
    const { dispatcher, enqueue } = await setup();
    await dispatcher.start();
    for (let i = 0; i < 30; i++) await enqueue(`http://127.0.0.1:${port}/cb`, `key${i % 3}`, `seq=${i}`);
    await waitUntil(() => dispatcher.stats().failedAttempts > 0, 10_000, 'attempts failing against the closed port');
    const receiver = await new HttpReceiver().start(port);
    cleanups.push(() => receiver.stop());
    await receiver.waitFor((r) => r.length === 30, 10_000);
    for (let k = 0; k < 3; k++) {
      const seqs = receiver.requests.map((q) => Number(q.form.get('seq'))).filter((s) => s % 3 === k);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });

  it_('drains a receiver’s backlog within seconds of its return, not at each callback’s own next attempt', async () => {
    const probe = await new HttpReceiver().start();
    const port = probe.port;
    await probe.stop();
    // back-off that, left alone, would hold the later attempts for 12.8 and 51.2 s
    const { dispatcher, enqueue, sql } = await setup({ backoff: { initialMs: 200, maxMs: 60_000, factor: 4, jitter: 0 }, catchUpProbeMs: 1000 });
    await dispatcher.start();
    for (let i = 0; i < 30; i++) await enqueue(`http://127.0.0.1:${port}/cb`, `key${i % 10}`, `seq=${i}`);
    // each key's head has failed three times, so its next attempt is 12.8 s or more away
    const headAttempts = async () =>
      (await sql.get<{ n: number }>("SELECT MIN(n) AS n FROM (SELECT MAX(attempts) AS n FROM webhooks WHERE state = 'pending' GROUP BY order_key) AS heads"))!
        .n;
    await waitUntil(async () => (await headAttempts()) >= 3, 20_000, 'three failed attempts for every head');
    const receiver = await new HttpReceiver().start(port);
    cleanups.push(() => receiver.stop());
    const back = Date.now();
    await receiver.waitFor((r) => r.length === 30, 15_000);
    expect(Date.now() - back).toBeLessThan(10_000);
    for (let k = 0; k < 10; k++) {
      const seqs = receiver.requests.map((q) => Number(q.form.get('seq'))).filter((s) => s % 10 === k);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });

  it_('treats a non-2xx answer as a failure and retries until a 2xx', async () => {
    const receiver = await new HttpReceiver().start();
    cleanups.push(() => receiver.stop());
    receiver.status = 500;
    const { dispatcher, enqueue, stateOf } = await setup();
    await dispatcher.start();
    const id = await enqueue(receiver.url(), 'k', 'x=1');
    await waitUntil(() => dispatcher.stats().failedAttempts >= 2, 5000, 'two failed attempts');
    receiver.status = 200;
    await receiver.waitFor((r) => r.length === 1);
    await waitUntil(async () => (await stateOf(id)) === 'delivered', 5000, 'row marked delivered');
  });

  it_('counts a receiver slower than timeoutMs as a failed attempt', async () => {
    const { createServer } = await import('node:http');
    const slow = createServer((_req, res) => setTimeout(() => res.end('late'), 2000));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      slow.closeAllConnections();
      slow.close();
    });
    const { dispatcher, enqueue } = await setup({ timeoutMs: 200 });
    await dispatcher.start();
    await enqueue(`http://127.0.0.1:${(slow.address() as { port: number }).port}/`, 'k', 'x');
    await waitUntil(() => dispatcher.stats().failedAttempts >= 1, 5000, 'a timed-out attempt');
  });

  it_("does not let a receiver that trickles its answer's body hold a callback, and the other receivers' behind it", async () => {
    const { createServer } = await import('node:http');
    // 200 at once, then a byte of the body every 50 ms: no pause is ever long enough for a per-read timeout.
    const trickling = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '100000' });
      const drip = setInterval(() => res.write('a'), 50);
      res.on('close', () => clearInterval(drip));
    });
    await new Promise<void>((r) => trickling.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      trickling.closeAllConnections();
      trickling.close();
    });
    const receiver = await new HttpReceiver().start();
    cleanups.push(() => receiver.stop());
    // One callback at a time: the second waits for the first (before, for the whole body: 100,000 × 50 ms).
    const { dispatcher, enqueue, stateOf } = await setup({ timeoutMs: 300, concurrency: 1 });
    await dispatcher.start();
    const trickled = await enqueue(`http://127.0.0.1:${(trickling.address() as { port: number }).port}/`, 'a', 'x=1');
    await enqueue(receiver.url(), 'b', 'x=2');
    await receiver.waitFor((r) => r.some((q) => q.body === 'x=2'), 10_000);
    // The receiver said 200: it has the callback, whatever became of the rest of its answer.
    await waitUntil(async () => (await stateOf(trickled)) === 'delivered', 5000, 'the trickled callback marked delivered');
  });

  it_('keeps a callback that outlives maxAge as a dead letter, lets the next of its key proceed, and replays it', async () => {
    const probe = await new HttpReceiver().start();
    const port = probe.port;
    await probe.stop();
    const { dispatcher, enqueue, store } = await setup({ maxAgeHours: 0.3 / 3600 });
    await dispatcher.start();
    const first = await enqueue(`http://127.0.0.1:${port}/cb`, 'k', 'n=1');
    await waitUntil(() => dispatcher.stats().dead === 1, 5000, 'dead letter');
    expect((await store.listDead(10)).map((r) => r.id)).toEqual([first]);
    const receiver = await new HttpReceiver().start(port);
    cleanups.push(() => receiver.stop());
    await enqueue(receiver.url(), 'k', 'n=2');
    await receiver.waitFor((r) => r.some((q) => q.body === 'n=2'));
    expect(await store.replayDead({ all: true }, Date.now())).toBe(1);
    await receiver.waitFor((r) => r.some((q) => q.body === 'n=1'), 5000);
  });

  it_('resumes pending callbacks after the store is closed and reopened', async () => {
    const receiver = await new HttpReceiver().start();
    cleanups.push(() => receiver.stop());
    const first = await storeKind.open();
    const repo = new WebhookRepo(first.sql);
    await first.committer.run(async () => {
      for (let i = 0; i < 5; i++) await repo.insert({ orderKey: 'k', kind: 't', url: receiver.url(), contentType: 'text/plain', body: `n=${i}` }, Date.now());
    });
    const again = await first.reopen();
    await first.close();
    const { dispatcher } = await setup({}, again);
    await dispatcher.start();
    await receiver.waitFor((r) => r.length === 5);
    expect(receiver.requests.map((q) => q.body)).toEqual(['n=0', 'n=1', 'n=2', 'n=3', 'n=4']);
  });

  it_('delivers 2,000 callbacks exactly once', async () => {
    const receiver = await new HttpReceiver().start();
    cleanups.push(() => receiver.stop());
    // A generous timeout: a request timed out by us but recorded by the receiver is (correctly) sent again.
    const { dispatcher, committer, sql, store } = await setup({ timeoutMs: 10_000 });
    await dispatcher.start();
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        committer.run(() => store.insert({ orderKey: `m${i}`, kind: 't', url: receiver.url(), contentType: 'text/plain', body: `i=${i}` }, Date.now())),
      ),
    );
    dispatcher.kick();
    await receiver.waitFor((r) => r.length >= 2000, 30_000);
    const seconds = (Date.now() - started) / 1000;
    console.log(`webhooks: 2000 callbacks in ${seconds.toFixed(2)} s (${Math.round(2000 / seconds)}/s)`);
    expect(new Set(receiver.requests.map((q) => q.body)).size).toBe(2000);
    await waitUntil(
      async () => (await sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM webhooks WHERE state = 'delivered'"))!.n === 2000,
      15_000,
      'all marked delivered',
    );
    // Exactly once: nothing came twice by the time every callback was recorded as delivered.
    expect(receiver.requests).toHaveLength(2000);
  });
});
