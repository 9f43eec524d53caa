/**
 * Text-mode fallback end to end: a simulated device without PDU mode
 * (AT+CMGF=? says (1)) is detected and driven in text mode — a short ASCII
 * message goes out with a status report that comes back as a delivery
 * report callback, an inbound SMS is read, stored and deleted, and what text
 * mode cannot send (long, extension characters, UCS-2) fails visibly instead
 * of being mangled. `messageMode: text` forces it on a PDU-capable modem.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModemConnector } from '../../../src/sms/connectors/modem/modem-connector.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { SimulatedModem } from '../../helpers/simulated-modem.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const auth = { Username: TEST_USER.username, Password: TEST_USER.password };
let textOnly: SimulatedModem;
let forced: SimulatedModem;
let env: Awaited<ReturnType<typeof startDaemon>>;
const receipts = new HttpReceiver();
const inbound = new HttpReceiver();
const fast = { commandTimeoutMs: 1000, healthSeconds: 0.3, sweepSeconds: 1, reconnect: { initialMs: 100, maxMs: 500 } };

beforeAll(async () => {
  textOnly = await SimulatedModem.open({ pduMode: false, reportDelayMs: 30 });
  forced = await SimulatedModem.open({ reportDelayMs: 30 });
  await receipts.start();
  await inbound.start();
  env = await startDaemon({
    connectors: [
      { id: 'old', type: 'modem', port: textOnly.path, ownNumber: '+36201112222', ...fast },
      { id: 'forced', type: 'modem', port: forced.path, messageMode: 'text', ...fast },
    ],
    routes: [{ recipient: { prefix: '+3620' }, connectors: ['forced'] }, { connectors: ['old'] }],
    sms: { retry: { initialMs: 100, maxMs: 300, maxAgeHours: 1 }, inbound: { url: inbound.url('/mo'), reassemblyTimeoutSeconds: 30 } },
  });
  await waitUntil(() => [...env.daemon.connectors.values()].every((c) => c.isUp()), 15_000, 'modems ready');
});

afterAll(async () => {
  await env.stop();
  await textOnly.close();
  await forced.close();
  await receipts.stop();
  await inbound.stop();
});

async function send(recipient: string, text: string): Promise<Record<string, string>> {
  const reply = await ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: recipient, Message: text, DeliveryReportURL: receipts.url() }));
  expect(reply.code).toBe(200);
  await receipts.waitFor((r) => r.some((q) => q.form.get('SmsId') === reply.smsId && q.form.get('Status') !== 'sent'), 15_000);
  return Object.fromEntries(receipts.requests.filter((q) => q.form.get('SmsId') === reply.smsId).at(-1)!.form);
}

describe('text-mode fallback', () => {
  it('detects a device without PDU mode and sends in text mode with a status report', async () => {
    expect((env.daemon.connectors.get('old') as ModemConnector).status().binds[0]).toMatchObject({ messageMode: 'text' });
    const report = await send('+36301234567', 'Your code is 4711. Reply STOP to end.');
    expect(report).toMatchObject({ Status: 'delivered', Connector: 'old' });
    expect(textOnly.sim.sent.map((s) => [s.pdu.recipient.number, s.text, s.pdu.statusReport])).toEqual([
      ['+36301234567', 'Your code is 4711. Reply STOP to end.', true],
    ]);
    expect(textOnly.sim.commands).toEqual(expect.arrayContaining(['AT+CMGF=1', 'AT+CSCS="IRA"', 'AT+CSMP=49,167,0,0', 'AT+CMGS="+36301234567",145']));
    await waitUntil(() => textOnly.sim.stored('SR') === 0, 5000, 'report deleted');
  });

  it('fails what text mode cannot send, visibly and without sending anything', async () => {
    for (const [recipient, text] of [
      ['+36301110001', 'A long notice. '.repeat(12)],
      ['+36301110002', 'Price: 10 € [net]'],
      ['+36301110003', 'Привет'],
    ]) {
      const report = await send(recipient!, text!);
      expect(report).toMatchObject({ Status: 'notsent', ErrorCode: 'TN_ERR_MODEM_NO_SUITABLE' });
      expect(textOnly.sim.sent.filter((s) => s.pdu.recipient.number === recipient)).toEqual([]);
    }
  });

  it('reads an inbound SMS in text mode, stores it and deletes it from the SIM', async () => {
    textOnly.sim.deliverInbound('+36709876543', 'Yes, see you at 5pm.');
    await inbound.waitFor((r) => r.some((q) => q.form.get('Sender') === '+36709876543'), 15_000);
    const mo = Object.fromEntries(inbound.requests.find((q) => q.form.get('Sender') === '+36709876543')!.form);
    expect(mo).toMatchObject({ Message: 'Yes, see you at 5pm.', Recipient: '+36201112222', Connector: 'old' });
    await waitUntil(() => textOnly.sim.stored('SM') === 0, 5000, 'deleted');
  });

  it('uses text mode on a PDU-capable modem when the config says so', async () => {
    expect((env.daemon.connectors.get('forced') as ModemConnector).status().binds[0]).toMatchObject({ messageMode: 'text' });
    const report = await send('+36209990000', 'forced text mode');
    expect(report).toMatchObject({ Status: 'delivered', Connector: 'forced' });
    expect(forced.sim.commands).not.toContain('AT+CMGF=0');
    expect(forced.sim.sent[0]!.text).toBe('forced text mode');
  });
});
