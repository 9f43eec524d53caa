/**
 * The callback outbox (src/webhooks/webhook-dispatcher.ts) on a real SQLite
 * file with a scripted receiver (no HTTP): in order per key, retried while
 * the receiver fails, released by its first 2xx, dead-lettered when it stays
 * refused for good.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/sqlite/db.js';
import { SqliteExecutor } from '../../../src/store/sqlite/executor.js';
import { WebhookRepo } from '../../../src/store/webhook-repo.js';
import { GroupCommitter } from '../../../src/store/sqlite/group-commit.js';
import { WebhookDispatcher } from '../../../src/webhooks/webhook-dispatcher.js';
import { webhookConfigSchema } from '../../../src/webhooks/config.js';
import { silentLogger } from '../../../src/shared/log.js';
import { FakeCallbackSender } from '../../support/fake-callback-sender.js';
import type { ClusterView } from '../../../src/shared/cluster-view.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(config: Record<string, unknown> = {}, cluster?: ClusterView) {
  const dir = tempDir('telenode-webhooks-');
  const db = openDatabase({ path: join(dir.path, 'store.db'), synchronous: 'NORMAL' });
  const committer = new GroupCommitter(db);
  const sender = new FakeCallbackSender();
  const store = new WebhookRepo(new SqliteExecutor(db), cluster?.nodeId ?? null);
  const dispatcher = new WebhookDispatcher({
    ...(cluster ? { cluster } : {}),
    store,
    committer,
    config: webhookConfigSchema.parse({ backoff: { initialMs: 10, maxMs: 40, jitter: 0 }, catchUpProbeMs: 100, ...config }),
    log: silentLogger(),
    sender,
  });
  cleanups.push(async () => {
    await dispatcher.stop(100);
    db.close();
    dir.remove();
  });
  const enqueue = async (orderKey: string, body: string, url = 'http://127.0.0.1:9/cb') => {
    await committer.run(() => store.insert({ orderKey, kind: 'test', url, contentType: 'text/plain', body }, Date.now()));
    dispatcher.kick();
  };
  return { dispatcher, sender, enqueue, store };
}

describe('webhook dispatcher', () => {
  it('delivers callbacks of one key one at a time, oldest first', async () => {
    const { dispatcher, sender, enqueue } = setup();
    await dispatcher.start();
    for (const body of ['1', '2', '3']) await enqueue('sms:a', body);
    await waitUntil(() => dispatcher.stats().delivered === 3, 5000, 'three delivered');
    expect(sender.attempts.map((a) => a.body)).toEqual(['1', '2', '3']);
  });

  it('retries while the receiver fails, keeping the order, and delivers all once it is back', async () => {
    const { dispatcher, sender, enqueue } = setup();
    let up = false;
    sender.answer = () => (up ? { status: 200 } : { status: 503 });
    await dispatcher.start();
    await enqueue('sms:b', 'first');
    await enqueue('sms:b', 'second');
    await waitUntil(() => sender.attempts.length >= 3, 5000, 'a few failed attempts');
    expect(new Set(sender.attempts.map((a) => a.body))).toEqual(new Set(['first'])); // the second waits behind the first
    up = true;
    await waitUntil(() => dispatcher.stats().delivered === 2, 5000, 'both delivered');
    const ok = sender.attempts.slice(-2).map((a) => a.body);
    expect(ok).toEqual(['first', 'second']);
  });

  it('a callback read late for a key whose callback is in flight goes after it; the one in flight is not sent again', async () => {
    const { dispatcher, sender, enqueue, store } = setup();
    let answerHeld: (() => void) | null = null;
    sender.answer = (a) =>
      a.body === 'old' && sender.attempts.length === 1
        ? { error: 'egress denied', permanent: true }
        : a.body === 'held'
          ? new Promise((resolve) => (answerHeld = () => resolve({ status: 200 })))
          : { status: 200 };
    await dispatcher.start();
    await enqueue('sms:late', 'old');
    await waitUntil(() => dispatcher.stats().dead === 1, 5000, 'a dead letter');
    await enqueue('sms:late', 'held');
    await waitUntil(() => answerHeld !== null, 5000, 'the second in flight');
    // The dead letter, replayed (the console, the CLI), is found by the sweep while its key's next one is in flight.
    expect(await store.replayDead({ ids: [(await store.listDead(10))[0]!.id] }, Date.now())).toBe(1);
    await dispatcher.sweepNow();
    answerHeld!();
    await waitUntil(() => dispatcher.stats().delivered === 2, 5000, 'both delivered');
    expect(sender.attempts.map((a) => a.body)).toEqual(['old', 'held', 'old']);
  });

  it('a refusal that cannot change (the egress policy) makes a dead letter at once, and the key goes on', async () => {
    const { dispatcher, sender, enqueue } = setup();
    sender.answer = (a) => (a.body === 'refused' ? { error: 'egress denied', permanent: true } : { status: 200 });
    await dispatcher.start();
    await enqueue('sms:c', 'refused');
    await enqueue('sms:c', 'next');
    await waitUntil(() => dispatcher.stats().delivered === 1 && dispatcher.stats().dead === 1, 5000, 'one dead, one delivered');
    expect(sender.attempts.filter((a) => a.body === 'refused')).toHaveLength(1);
  });

  it('a receiver that comes back releases every waiting key at its first 2xx, not at each own back-off', async () => {
    const { dispatcher, sender, enqueue } = setup({ backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } });
    let up = false;
    sender.answer = () => (up ? { status: 200 } : { error: 'connection refused' });
    await dispatcher.start();
    for (const key of ['k1', 'k2', 'k3']) await enqueue(key, key);
    await waitUntil(() => sender.attempts.length >= 3, 5000, 'each key tried once');
    up = true;
    // Each key's own back-off is a minute: only the origin's probe (100 ms) can bring them in quickly.
    await waitUntil(() => dispatcher.stats().delivered === 3, 5000, 'all three released by the probe');
  });

  it('in a cluster, sends nothing while its heartbeat is not current, and sends what is still its own once it is', async () => {
    let member = true;
    const cluster: ClusterView = { nodeId: 'node-a', leaseMs: 10_000, isMember: () => member, upElsewhere: () => false };
    const { dispatcher, sender, enqueue } = setup({ sweepSeconds: 3600 }, cluster);
    let up = false;
    sender.answer = () => (up ? { status: 200 } : { status: 503 });
    await dispatcher.start();
    await enqueue('sms:f', 'held');
    await waitUntil(() => sender.attempts.length >= 2, 5000, 'failed attempts while a member');
    member = false;
    dispatcher.kick();
    await waitUntil(() => dispatcher.stats().pending === 0, 5000, 'the queue forgotten');
    const fencedAt = sender.attempts.length;
    // Ten back-off periods and more: a node the others may be taking over from must not send.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sender.attempts.length).toBe(fencedAt);
    up = true;
    member = true;
    dispatcher.kick();
    await waitUntil(() => dispatcher.stats().delivered === 1, 5000, 'delivered once back');
    expect(sender.attempts.filter((a) => a.body === 'held').length).toBe(fencedAt + 1);
  });
});
