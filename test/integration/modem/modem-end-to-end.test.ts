/**
 * SMS through a (simulated) GSM modem, end to end over real wires: Ozeki
 * SendSms → daemon → serialport on a socat pty → modem-sim; its status report
 * → SMSDeliveryReport callback; an inbound long SMS → IncomingSMS; a +CMS
 * ERROR 500 → retried, not lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SerialPort } from 'serialport';
import { closeSerialPort, openSerialPort } from '../../../src/sms/connectors/modem/serial.js';
import { ModemSimulator } from '../../../src/tools/modem-sim.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { openPtyPair, type PtyPair } from '../../helpers/pty-pair.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const auth = { Username: TEST_USER.username, Password: TEST_USER.password };
let pair: PtyPair;
let modemPort: SerialPort;
let sim: ModemSimulator;
let env: Awaited<ReturnType<typeof startDaemon>>;
const receiver = new HttpReceiver();
const inbound = new HttpReceiver();

beforeAll(async () => {
  pair = await openPtyPair();
  modemPort = await openSerialPort(pair.modemPath);
  sim = new ModemSimulator(modemPort, { reportDelayMs: 30 });
  await receiver.start();
  await inbound.start();
  env = await startDaemon({
    connectors: [
      {
        id: 'gsm',
        type: 'modem',
        port: pair.appPath,
        ownNumber: '+36201112222',
        commandTimeoutMs: 500,
        healthSeconds: 0.3,
        reconnect: { initialMs: 100, maxMs: 500 },
      },
    ],
    sms: { retry: { initialMs: 100, maxMs: 300, maxAgeHours: 1 }, inbound: { url: inbound.url('/mo'), reassemblyTimeoutSeconds: 30 } },
  });
  await waitUntil(() => env.daemon.connectors.get('gsm')!.isUp(), 10_000, 'modem ready');
});

afterAll(async () => {
  await env.stop();
  sim.stop();
  await closeSerialPort(modemPort);
  await pair.close();
  await receiver.stop();
  await inbound.stop();
});

describe('SMS through a GSM modem', () => {
  it('sends a long message part by part and reports it delivered from the status reports', async () => {
    const text = 'Password reset code 918273. It expires in ten minutes; do not share it with anyone. '.repeat(2);
    const reply = await ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: '+36301234567', Message: text, DeliveryReportURL: receiver.url() }));
    expect(reply.code).toBe(200);
    await receiver.waitFor((r) => r.some((q) => q.form.get('SmsId') === reply.smsId), 15_000);
    const report = Object.fromEntries(receiver.requests.find((q) => q.form.get('SmsId') === reply.smsId)!.form);
    expect(report).toMatchObject({ Status: 'delivered', Connector: 'gsm', Parts: '2' });
    const parts = sim.sent.filter((s) => s.pdu.recipient.number === '+36301234567');
    expect(parts.map((p) => p.pdu.udh!.concat!.seq)).toEqual([1, 2]);
    expect(parts.every((p) => p.pdu.statusReport)).toBe(true);
  });

  it('receives a concatenated SMS, stores it, deletes it from the SIM and posts IncomingSMS', async () => {
    const text = 'Reply from a handset, long enough to arrive in two parts: ' + 'ok '.repeat(40);
    sim.deliverInbound('+36709876543', text);
    await inbound.waitFor((r) => r.some((q) => q.form.get('Sender') === '+36709876543'), 15_000);
    const mo = Object.fromEntries(inbound.requests.find((q) => q.form.get('Sender') === '+36709876543')!.form);
    expect(mo).toMatchObject({ Message: text, Recipient: '+36201112222', Complete: 'true', Parts: '2', Connector: 'gsm' });
  });

  it('retries a message the modem refused with +CMS ERROR 500, and loses nothing', async () => {
    sim.failNextSend = 500;
    const reply = await ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: '+36305550000', Message: 'second try', DeliveryReportURL: receiver.url() }));
    await receiver.waitFor((r) => r.some((q) => q.form.get('SmsId') === reply.smsId), 15_000);
    expect(sim.sent.filter((s) => s.pdu.recipient.number === '+36305550000')).toHaveLength(1);
    expect(env.daemon.db.prepare('SELECT attempts, status FROM messages WHERE id = ?').get(reply.smsId)).toEqual({ attempts: 1, status: 'delivered' });
    // The refused first attempt's error does not survive the delivery: the callback says delivered, not notsent.
    expect(env.daemon.db.prepare('SELECT error_code FROM messages WHERE id = ?').get(reply.smsId)).toEqual({ error_code: null });
    const reports = receiver.requests.filter((q) => q.form.get('SmsId') === reply.smsId).map((q) => q.form.get('Status') ?? q.form.get('status'));
    expect(reports.at(-1)).toMatch(/delivered/i);
  });

  it('re-initialises a modem that stops answering, and goes down while it has no network', async () => {
    const connector = env.daemon.connectors.get('gsm')!;
    sim.silent = true;
    await waitUntil(() => !connector.isUp(), 5000, 'down after the modem went silent');
    sim.silent = false;
    await waitUntil(() => connector.isUp(), 10_000, 're-initialised');
    sim.options.registration = 2; // searching
    await waitUntil(() => !connector.isUp(), 5000, 'down without network');
    expect(connector.status().binds[0]).toMatchObject({ registration: 2 });
    sim.options.registration = 1;
    await waitUntil(() => connector.isUp(), 10_000, 'back on the network');
    const health = (await (await fetch(`${env.base}/health`)).json()) as { connectors: Array<{ binds: Array<{ signal: number }> }> };
    expect(health.connectors[0]!.binds[0]!.signal).toBe(21);
  });
});
