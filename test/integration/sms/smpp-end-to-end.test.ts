/**
 * The whole SMS path over real wires: Ozeki HTTP API → daemon → SMPP over
 * loopback TCP → `telenode smsc-sim` → receipts → SMSDeliveryReport to a real
 * HTTP receiver; and MO messages back to IncomingSMS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';
import { postgresKind, sqliteKind } from '../../support/store-under-test.js';
import type { Daemon } from '../../../src/app/daemon.js';

const auth = { Username: TEST_USER.username, Password: TEST_USER.password };

const good = new SmscSimulator({ port: 0, idFormat: 'hex', receiptIdFormat: 'decimal', receiptDelayMs: 30, log: silentLogger() });
const failing = new SmscSimulator({ port: 0, idFormat: 'decimal', receiptDelayMs: 30, failureRate: 1, log: silentLogger() });
const rejecting = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 30, rejectRate: 1, log: silentLogger() });
const receiver = new HttpReceiver();
const inbound = new HttpReceiver();
let env: Awaited<ReturnType<typeof startDaemon>>;

function smpp(id: string, port: number, extra: Record<string, unknown> = {}) {
  return { id, type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', window: 20, reconnect: { initialMs: 100, maxMs: 500 }, ...extra };
}

async function send(fields: Record<string, string>) {
  const reply = await ozekiGet(env.base, sendSmsQuery({ ...auth, DeliveryReportURL: receiver.url(), ...fields }));
  expect(reply.code, reply.message).toBe(200);
  return reply.smsId!;
}

async function reportFor(smsId: string) {
  await receiver.waitFor((r) => r.some((q) => q.form.get('SmsId') === smsId));
  return Object.fromEntries(receiver.requests.find((q) => q.form.get('SmsId') === smsId)!.form);
}

const kinds = [sqliteKind(), postgresKind()];

beforeAll(async () => {
  const [g, f, r] = await Promise.all([good.start(), failing.start(), rejecting.start()]);
  await receiver.start();
  await inbound.start();
  ports = { good: g.port, failing: f.port, rejecting: r.port };
});

afterAll(async () => {
  await Promise.all([good.stop(), failing.stop(), rejecting.stop(), receiver.stop(), inbound.stop()]);
  for (const kind of kinds) await kind.shutdown();
});

let ports: { good: number; failing: number; rejecting: number };

/** How many rows `sql` counts on the daemon's store (either kind). */
async function count(daemon: Daemon, sql: string, params: unknown[]): Promise<number> {
  return (await daemon.sql.get<{ n: number }>(sql, params))!.n;
}

describe.each(kinds)('SMS over SMPP end to end, store: $name', (kind) => {
  if (kind.missing) it.skip(`skipped: ${kind.missing}`, () => undefined);
  const it_ = kind.missing ? it.skip : it;

  beforeAll(async () => {
    if (kind.missing) return;
    // The simulators and receivers serve both stores' runs: each run starts from empty lists.
    for (const list of [good.received, failing.received, rejecting.received, receiver.requests, inbound.requests]) list.length = 0;
    const [g, f, r] = [{ port: ports.good }, { port: ports.failing }, { port: ports.rejecting }];
    env = await startDaemon({
      store: await kind.daemonStore(),
      connectors: [smpp('good', g.port), smpp('failing', f.port), smpp('rejecting', r.port, { concat: 'sar' })],
      routes: [
        { recipient: { prefix: '+362' }, connectors: ['failing'] },
        { recipient: { prefix: '+363' }, connectors: ['rejecting'] },
        { connectors: ['good'] },
      ],
      sms: { inbound: { url: inbound.url('/mo'), reassemblyTimeoutSeconds: 5 } },
    });
    await waitUntil(() => [...env.daemon.connectors.values()].every((c) => c.isUp()), 10_000, 'binds');
  });

  afterAll(async () => {
    await env?.stop();
  });

  it_('delivers a GSM text as data_coding 0 and reports it delivered, though the receipt id is decimal and the submit id hex', async () => {
    const smsId = await send({ Recipient: '+36101234567', Sender: 'ACME', Message: 'Your code is 1234 {€}' });
    const report = await reportFor(smsId);
    expect(report).toMatchObject({ Status: 'delivered', CarrierStatus: 'DELIVRD', Connector: 'good' });
    const got = good.received.find((m) => m.text === 'Your code is 1234 {€}')!;
    expect(got.dataCoding).toBe(0);
    expect(got.destination).toBe('36101234567');
    expect(got.source).toBe('ACME');
  });

  it_('splits a long text into parts with one concat reference and reports delivered only after every part', async () => {
    const text = 'Lorem ipsum dolor sit amet. '.repeat(15).trim(); // 419 chars → 3 parts
    const smsId = await send({ Recipient: '+36101234568', Message: text });
    const report = await reportFor(smsId);
    expect(report['Parts']).toBe('3');
    expect(report['Status']).toBe('delivered');
    const parts = good.received.filter((m) => m.destination === '36101234568');
    expect(parts.map((p) => p.concat?.seq)).toEqual([1, 2, 3]);
    expect(new Set(parts.map((p) => p.concat?.reference)).size).toBe(1);
    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(await count(env.daemon, "SELECT COUNT(*) AS n FROM message_parts WHERE message_id = ? AND status = 'delivered'", [smsId])).toBe(3);
  });

  it_('sends UCS-2 as data_coding 8', async () => {
    const smsId = await send({ Recipient: '+36101234569', Message: 'Привет, мир! 😀' });
    expect((await reportFor(smsId))['Status']).toBe('delivered');
    const got = good.received.find((m) => m.destination === '36101234569')!;
    expect(got.dataCoding).toBe(8);
    expect(got.text).toBe('Привет, мир! 😀');
  });

  it_('reports undelivered when the handset receipt says UNDELIV', async () => {
    const smsId = await send({ Recipient: '+36201234567', Message: 'doomed' });
    expect(await reportFor(smsId)).toMatchObject({ Status: 'undelivered', DeliveryStatus: 'failed', CarrierStatus: 'UNDELIV' });
  });

  it_('fails a message the SMSC rejects, keeping the SMPP command_status', async () => {
    const smsId = await send({ Recipient: '+36301234567', Message: 'rejected' });
    const report = await reportFor(smsId);
    expect(report).toMatchObject({ Status: 'notsent', DeliveryStatus: 'failed', ErrorCode: 'TN_ERR_SMPP_REJECTED' });
    expect(report['CarrierStatus']).toMatch(/^0x[0-9a-f]{8}$/);
  });

  it_('reassembles a long MO message and posts it as IncomingSMS', async () => {
    const text = 'Inbound long message with an escape € at the boundary? '.repeat(4);
    await good.sendMo({ from: '36309998877', to: '1234', text });
    await inbound.waitFor((r) => r.some((q) => q.form.get('Sender') === '36309998877'));
    const mo = Object.fromEntries(inbound.requests.find((q) => q.form.get('Sender') === '36309998877')!.form);
    expect(mo).toMatchObject({ NotificationName: 'IncomingSMS', Recipient: '1234', Message: text, Complete: 'true', Connector: 'good' });
    expect(Number(mo['Parts'])).toBeGreaterThan(1);
  });

  it_("reports a message whose receipt never comes as unknown after the connector's reportTimeoutMinutes", async () => {
    const silent = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 30, finalReceipt: false, log: silentLogger() });
    const { port } = await silent.start();
    const own = await startDaemon({ store: await kind.daemonStore(), connectors: [smpp('silent', port, { reportTimeoutMinutes: 0.01 })] });
    try {
      await waitUntil(() => own.daemon.connectors.get('silent')!.isUp(), 10_000, 'bind');
      const reply = await ozekiGet(
        own.base,
        sendSmsQuery({ ...auth, Recipient: '+36301234567', Message: 'no receipt will come', DeliveryReportURL: receiver.url() }),
      );
      expect(reply.code).toBe(200);
      const report = await reportFor(reply.smsId!);
      expect(report).toMatchObject({ Status: 'unknown' });
      expect(await own.daemon.sql.get('SELECT status, error_code FROM messages WHERE id = ?', [reply.smsId])).toEqual({
        status: 'unknown',
        error_code: 'TN_ERR_REPORT_TIMEOUT',
      });
    } finally {
      await own.stop();
      await silent.stop();
    }
  });
});
