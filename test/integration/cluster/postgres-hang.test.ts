/**
 * PostgreSQL hung (every process of it stopped with SIGSTOP: connections stay open, the kernel still takes new
 * ones, nothing answers) — what a network partition or a frozen database host looks like to a node, unlike the
 * refused connections of postgres-outage.test.ts. Requests get the dialect's "try later" within seconds instead of
 * waiting for the server; none of them is sent later (a "try later" means not accepted); what was accepted before
 * is delivered; the node goes on by itself once the server answers again (decision 0124).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { sendSmsAs } from '../../helpers/ozeki-client.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const HANG_MS = 6000;
const QUERY_TIMEOUT_MS = 1000;
const missing = postgresMissing();
const smsc = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
const receiver = new HttpReceiver();
let server: PgServer;
let node: Awaited<ReturnType<typeof startDaemon>>;

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  const { port } = await smsc.start();
  await receiver.start();
  node = await startDaemon({
    store: { type: 'postgres', url: await server.createDatabase(), poolSize: 6, queryTimeoutMs: QUERY_TIMEOUT_MS },
    node: { id: 'solo', leaseSeconds: 3 },
    connectors: [
      { id: 'smsc', type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', window: 20, reconnect: { initialMs: 100, maxMs: 500 } },
    ],
    webhooks: { sweepSeconds: 0.5, backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 } },
  });
  await waitUntil(() => node.daemon.connectors.get('smsc')!.isUp(), 15_000, 'bind');
});

afterAll(async () => {
  server?.resume();
  await node?.stop();
  await smsc.stop();
  await receiver.stop();
  await server?.stop();
});

async function send(text: string) {
  const started = Date.now();
  const reply = await sendSmsAs(node.base, TEST_USER, text, receiver.url('/dlr'));
  return { text, reply, ms: Date.now() - started };
}

describe.skipIf(missing)('PostgreSQL hung for a while', () => {
  it('answers "try later" within seconds, sends none of those, loses nothing it accepted, and goes on by itself', async () => {
    const accepted = new Map<string, string>();
    const keep = (results: Array<Awaited<ReturnType<typeof send>>>) => {
      for (const { text, reply } of results) if (reply.code === 200) accepted.set(reply.smsId!, text);
    };
    const before = await Promise.all(Array.from({ length: 100 }, (_, i) => send(`before-${i}`)));
    keep(before);
    expect(accepted.size).toBe(100);

    server.pause();
    const hungAt = Date.now();
    const during: Array<Awaited<ReturnType<typeof send>>> = [];
    try {
      // Requests one after another, then a burst side by side, while nothing answers.
      while (Date.now() - hungAt < HANG_MS) during.push(await send(`during-${during.length}`));
      during.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => send(`burst-${i}`)))));
    } finally {
      server.resume();
    }
    keep(during);

    expect(during.length).toBeGreaterThan(2);
    for (const d of during) {
      expect(d.reply.httpStatus).toBe(503);
      expect(d.reply.xml).toContain('try again'); // in Ozeki's own XML
      // The statement timeout, or the pool's 5 s connect timeout for a new connection: an answer, not a wait.
      expect(d.ms).toBeLessThan(8000);
    }

    await waitUntil(async () => (await send('probe')).reply.code === 200, 30_000, 'the node accepting again');
    keep(await Promise.all(Array.from({ length: 50 }, (_, i) => send(`after-${i}`))));
    const finals = () => new Set(receiver.requests.filter((q) => q.form.get('NotificationName') === 'SMSDeliveryReport').map((q) => q.form.get('SmsId')!));
    await waitUntil(() => [...accepted.keys()].every((id) => finals().has(id)), 60_000, 'a final callback for every accepted message');
    const atSmsc = smsc.received.map((r) => r.text);
    expect([...accepted.values()].filter((text) => !atSmsc.includes(text))).toEqual([]);
    // A "try later" is a refusal: the server, answering again, rolled those transactions back (it never got their COMMIT).
    expect(atSmsc.filter((text) => text.startsWith('during-') || text.startsWith('burst-'))).toEqual([]);
  });
});
