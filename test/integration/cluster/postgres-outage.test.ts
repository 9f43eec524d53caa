/**
 * PostgreSQL stopped for a while mid-load, then started (issue 17, item 8): requests during the outage get
 * the dialect's own "try later" (Ozeki XML with HTTP 503) in seconds, not a hang; nothing accepted before is
 * lost; the node resumes by itself and sends what it holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { sendSmsAs } from '../../helpers/ozeki-client.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const OUTAGE_MS = Number(process.env['PG_OUTAGE_SECONDS'] ?? 20) * 1000;
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
    store: { type: 'postgres', url: await server.createDatabase(), poolSize: 6 },
    node: { id: 'solo', leaseSeconds: 3 },
    connectors: [
      { id: 'smsc', type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', window: 20, reconnect: { initialMs: 100, maxMs: 500 } },
    ],
    webhooks: { sweepSeconds: 0.5, backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 } },
  });
  await waitUntil(() => node.daemon.connectors.get('smsc')!.isUp(), 15_000, 'bind');
});

afterAll(async () => {
  await node?.stop();
  await smsc.stop();
  await receiver.stop();
  await server?.stop();
});

async function send(text: string) {
  const started = Date.now();
  const reply = await sendSmsAs(node.base, TEST_USER, text, receiver.url('/dlr'));
  return { reply, ms: Date.now() - started };
}

describe.skipIf(missing)('PostgreSQL down for a while', () => {
  it(`answers "try later" during a ${OUTAGE_MS / 1000} s outage, loses nothing it accepted, and resumes by itself`, async () => {
    const accepted = new Map<string, string>();
    const sendMany = async (prefix: string, count: number) => {
      await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const { reply } = await send(`${prefix}-${i}`);
          if (reply.code === 200) accepted.set(reply.smsId!, `${prefix}-${i}`);
        }),
      );
    };
    await sendMany('before', 200);
    expect(accepted.size).toBe(200);

    await server.halt();
    const down = Date.now();
    const during: Array<{ status: number; ms: number; body: string }> = [];
    while (Date.now() - down < OUTAGE_MS) {
      const { reply, ms } = await send(`during-${during.length}`);
      during.push({ status: reply.httpStatus, ms, body: reply.xml });
      if (reply.code === 200) accepted.set(reply.smsId!, `during-${during.length - 1}`);
    }
    await server.start();

    expect(during.length).toBeGreaterThan(2);
    for (const d of during) {
      expect(d.status).toBe(503);
      expect(d.body).toContain('try again'); // in Ozeki's own XML
      expect(d.ms).toBeLessThan(8000); // an answer, not a hang
    }
    await waitUntil(async () => (await send('probe')).reply.code === 200, 30_000, 'the node accepting again');
    await sendMany('after', 100);
    const finals = () => new Set(receiver.requests.filter((q) => q.form.get('NotificationName') === 'SMSDeliveryReport').map((q) => q.form.get('SmsId')!));
    await waitUntil(() => [...accepted.keys()].every((id) => finals().has(id)), 60_000, 'a final callback for every accepted message');
    const atSmsc = new Set(smsc.received.map((r) => r.text));
    expect([...accepted.values()].filter((text) => !atSmsc.has(text))).toEqual([]);
  });
});
