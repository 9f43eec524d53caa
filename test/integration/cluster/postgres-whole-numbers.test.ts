/**
 * Times on PostgreSQL are whole milliseconds, whatever made them (store/postgres/placeholders.ts). Retry times carry
 * jitter (0.2 by default, so that many waiters do not retry in step), and times made from settings can carry a
 * fraction (`leaseSeconds: 2.01` is 2009.9999999999998 ms, `retry.maxAgeHours: 1.1` 3960000.0000000005); PostgreSQL
 * refused such a number for a BIGINT: a failed callback attempt was never recorded (nor its back-off), a message's
 * retry rolled back the submit results written with it, and a node with such a lease could not take a bind. SQLite
 * took the fraction silently, and the tests, run without jitter and with whole settings, missed it.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { createLogger, silentLogger } from '../../../src/shared/log.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { deliveryReportIds, sendSmsAs } from '../../helpers/ozeki-client.js';
import { postgresMissing, queryOnce, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil } from '../../helpers/temp-dir.js';
import { smscConnector } from '../../helpers/cluster-connector.js';

const missing = postgresMissing();
let server: PgServer;
const receiver = new HttpReceiver();

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  await receiver.start();
});

afterAll(async () => {
  await receiver.stop();
  await server?.stop();
});

/** A node on a new database, its error lines kept; the default jitter on every back-off. */
async function startNode(port: number, overrides: Record<string, unknown> = {}) {
  const url = await server.createDatabase();
  const errors: string[] = [];
  const log = createLogger({ level: 'error', format: 'json', destination: { write: (line: string) => void errors.push(line) } });
  const node = await startDaemon(
    {
      store: { type: 'postgres', url, poolSize: 4 },
      node: { id: 'node-a' },
      connectors: [smscConnector(port, { reconnect: { initialMs: 100, maxMs: 200 } })],
      webhooks: { backoff: { initialMs: 200, maxMs: 1000 } },
      ...overrides,
    },
    { log },
  );
  const query = <T extends pg.QueryResultRow>(text: string) => queryOnce<T>(url, text);
  return { node, errors, query };
}

describe.skipIf(missing)('times with a fraction of a millisecond, on PostgreSQL', () => {
  it('a callback attempt that failed (jitter on its back-off) is on record, and the callback goes once the receiver answers', async () => {
    const smsc = new SmscSimulator({ port: 0, receiptDelayMs: 10, log: silentLogger() });
    await smsc.start();
    const { node, errors, query } = await startNode(smsc.port);
    try {
      receiver.status = 503;
      const reply = await sendSmsAs(node.base, TEST_USER, 'callback retried', receiver.url('/dlr'));
      expect(reply.code).toBe(200);
      await waitUntil(
        async () => (await query<{ attempts: number }>('SELECT attempts FROM webhooks'))[0]?.attempts === 1,
        20_000,
        'the failed attempt on record',
      );
      receiver.status = 200;
      await waitUntil(() => deliveryReportIds(receiver).has(reply.smsId!), 20_000, 'the callback');
      await waitUntil(async () => (await query<{ state: string }>('SELECT state FROM webhooks'))[0]?.state === 'delivered', 20_000, 'the delivery on record');
      const [row] = await query<{ attempts: number; attempt_log: string }>('SELECT attempts, attempt_log FROM webhooks');
      expect(row!.attempts).toBeGreaterThanOrEqual(2);
      expect(row!.attempt_log).toContain('"status":503');
      expect(errors).toEqual([]);
    } finally {
      receiver.status = 200;
      await node.stop();
      await smsc.stop();
    }
  }, 60_000);

  it('a message whose bind dropped mid-submit has its retry on record and is sent when the carrier is back', async () => {
    // Answers 5 s late: the submit is still on the wire when the carrier goes away.
    const slow = new SmscSimulator({ port: 0, receiptDelayMs: 10, responseDelayMs: 5000, log: silentLogger() });
    await slow.start();
    const port = slow.port;
    const { node, errors, query } = await startNode(port, { sms: { retry: { initialMs: 100, maxMs: 500 } } });
    let back: SmscSimulator | null = null;
    try {
      const reply = await sendSmsAs(node.base, TEST_USER, 'submit retried', receiver.url('/dlr'));
      expect(reply.code).toBe(200);
      await waitUntil(() => slow.received.length === 1, 20_000, 'the submit on the wire');
      await slow.stop();
      await waitUntil(async () => (await query<{ attempts: number }>('SELECT attempts FROM messages'))[0]?.attempts === 1, 20_000, 'the retry on record');
      back = new SmscSimulator({ port, receiptDelayMs: 10, log: silentLogger() });
      await back.start();
      await waitUntil(() => deliveryReportIds(receiver).has(reply.smsId!), 30_000, 'the delivery report');
      const [message] = await query<{ status: string }>('SELECT status FROM messages');
      expect(message!.status).toBe('delivered');
      expect(errors).toEqual([]);
    } finally {
      await node.stop();
      await back?.stop();
    }
  }, 90_000);

  it('a node whose lease is not a whole number of milliseconds takes its bind and sends', async () => {
    const smsc = new SmscSimulator({ port: 0, receiptDelayMs: 10, log: silentLogger() });
    await smsc.start();
    const { node, errors } = await startNode(smsc.port, { node: { id: 'node-a', leaseSeconds: 2.01 } });
    try {
      const reply = await sendSmsAs(node.base, TEST_USER, 'odd lease', receiver.url('/dlr'));
      expect(reply.code).toBe(200);
      await waitUntil(() => deliveryReportIds(receiver).has(reply.smsId!), 20_000, 'the delivery report');
      expect(errors).toEqual([]);
    } finally {
      await node.stop();
      await smsc.stop();
    }
  }, 60_000);
});
