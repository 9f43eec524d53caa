/**
 * Status reports and inbound messages keep flowing when the modem is busy or
 * has just come back: stored reports are read between sends, not after the
 * whole backlog; after a USB drop new-message indications are armed again
 * before the (possibly long) wait for the network, and what the SIM stored
 * meanwhile is read; a modem that floods the line with indications while it
 * initialises loses nothing. Daemon in-process, modems on socat ptys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModemConnector } from '../../../src/sms/connectors/modem/modem-connector.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { SimulatedModem } from '../../helpers/simulated-modem.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const auth = { Username: TEST_USER.username, Password: TEST_USER.password };
let busy: SimulatedModem;
let usb: SimulatedModem;
let flood: SimulatedModem;
let env: Awaited<ReturnType<typeof startDaemon>>;
const receipts = new HttpReceiver();
const inbound = new HttpReceiver();
const connector = (id: string) => env.daemon.connectors.get(id) as ModemConnector;
const fast = { commandTimeoutMs: 2000, healthSeconds: 0.3, sweepSeconds: 60, registrationTimeoutMs: 120_000, reconnect: { initialMs: 100, maxMs: 400 } };

beforeAll(async () => {
  // No phase 2+: reports are stored (+CDSI) and each costs AT+CPMS/AT+CMGR/AT+CMGD; every answer takes 20 ms.
  busy = await SimulatedModem.open({ name: 'busy', phase2Plus: false, replyDelayMs: 20, reportDelayMs: 5 });
  // Reports come only when the test sends them; the network waits 10 s for an AT+CNMA (a loaded machine is slow).
  usb = await SimulatedModem.open({ name: 'usb', reportDelayMs: 600_000, cnmaTimeoutMs: 10_000 });
  // Stores what it receives and indicates each (+CMTI), as modems without phase 2+ do.
  flood = await SimulatedModem.open({ name: 'flood', phase2Plus: false });
  await receipts.start();
  await inbound.start();
  env = await startDaemon({
    connectors: [
      { id: 'busy', type: 'modem', port: busy.path, ownNumber: '+36201110000', ...fast },
      { id: 'usb', type: 'modem', port: usb.path, ownNumber: '+36201110001', ...fast },
      { id: 'flood', type: 'modem', port: flood.path, ownNumber: '+36201110002', ...fast },
    ],
    routes: [
      { recipient: { prefix: '+3620' }, connectors: ['busy'] },
      { recipient: { prefix: '+3630' }, connectors: ['usb'] },
    ],
    sms: { retry: { initialMs: 100, maxMs: 300, maxAgeHours: 1 }, inbound: { url: inbound.url('/mo'), reassemblyTimeoutSeconds: 30 } },
  });
  await waitUntil(() => connector('busy').isUp() && connector('usb').isUp() && connector('flood').isUp(), 15_000, 'modems ready');
});

afterAll(async () => {
  await env.stop();
  await busy.close();
  await usb.close();
  await flood.close();
  await receipts.stop();
  await inbound.stop();
});

async function send(recipient: string, text: string): Promise<string> {
  const reply = await ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: recipient, Message: text, DeliveryReportURL: receipts.url() }));
  expect(reply.code).toBe(200);
  return reply.smsId!;
}

const deliveredCount = (ids: readonly string[]) =>
  ids.filter((id) => receipts.requests.some((q) => q.form.get('SmsId') === id && q.form.get('Status') === 'delivered')).length;

describe('modem reports', () => {
  it('stored reports are read and deleted between sends, not after the whole backlog', async () => {
    const count = 12;
    const ids = await Promise.all(Array.from({ length: count }, (_, i) => send(`+362099900${String(i).padStart(2, '0')}`, `backlog ${i}`)));
    await waitUntil(() => deliveredCount(ids) === count, 30_000, 'every report');
    // Ordering on the modem's own command log, not timing: by the last send, nearly every earlier report
    // had been read and deleted (a report comes a moment after its send, so the last one or two trail).
    const commands = busy.sim.commands;
    const lastSend = commands.map((c) => c.startsWith('AT+CMGS=')).lastIndexOf(true);
    const deletedBefore = commands.slice(0, lastSend).filter((c) => c.startsWith('AT+CMGD=')).length;
    expect(deletedBefore).toBeGreaterThanOrEqual(count - 3);
  });

  it(
    'after a USB drop: indications armed before the network wait; what the SIM stored meanwhile and reports that come while it searches are taken',
    { timeout: 150_000 },
    async () => {
      const id = await send('+36301234567', 'sent before the drop');
      await waitUntil(() => usb.sim.network.sent.some((s) => s.text === 'sent before the drop'), 10_000, 'sent');
      const mr = usb.sim.network.sent.find((s) => s.text === 'sent before the drop')!.messageReference;
      await usb.unplug();
      await waitUntil(() => !connector('usb').isUp(), 10_000, 'connector down');
      // Plugged in again: a restarted modem (AT+CNMI forgotten), still searching for the network. Its answers take
      // 300 ms, so the report below reaches the daemon while it still finishes initialising after AT+CNMI (AT+CIMI,
      // AT+CSCA?): a routed report then must not be dropped for want of an inbox (it was, on a loaded machine).
      await usb.replug({ registration: 2, replyDelayMs: 300 });
      usb.sim.deliverInbound('+36705551234', 'stored while the port was gone');
      await waitUntil(() => usb.sim.commands.some((c) => c.startsWith('AT+CNMI=')), 30_000, 'AT+CNMI sent while still searching');
      usb.sim.deliverReport(mr, '36301234567');
      await inbound.waitFor((r) => r.some((q) => q.form.get('Message') === 'stored while the port was gone'), 30_000);
      await waitUntil(() => deliveredCount([id]) === 1, 30_000, 'the report taken while searching');
      expect(connector('usb').isUp()).toBe(false); // still no network: nothing is sent through it
      usb.sim.options.registration = 1;
      await waitUntil(() => connector('usb').isUp(), 30_000, 'ready once registered');
    },
  );

  it('a modem that floods the line with +CMTI while initialising: every message is read once, none lost, the SIM emptied', { timeout: 150_000 }, async () => {
    await flood.unplug();
    await waitUntil(() => !connector('flood').isUp(), 10_000, 'connector down');
    // Answers take 300 ms, so the indications below reach the daemon after AT+CNMI and before initialisation ends:
    // more than it keeps from one initialisation (32). The rest must still be read, by the sweep that follows.
    await flood.replug({ replyDelayMs: 300 });
    await waitUntil(() => flood.sim.commands.some((c) => c.startsWith('AT+CNMI=')), 30_000, 'AT+CNMI sent');
    const texts = Array.from({ length: 50 }, (_, i) => `flood ${i}`);
    for (const text of texts) flood.sim.deliverInbound('+36705550000', text);
    const cnmiAt = flood.sim.commands.findIndex((c) => c.startsWith('AT+CNMI='));
    await waitUntil(() => flood.sim.commands.length > cnmiAt + 1, 30_000, 'initialisation goes on after AT+CNMI');
    flood.sim.options.replyDelayMs = 0; // the 50 indications are on their way; reading them need not take minutes
    const received = (text: string) => inbound.requests.filter((q) => q.form.get('Message') === text).length;
    await waitUntil(() => texts.every((t) => received(t) >= 1), 30_000, 'all 50 messages delivered');
    await waitUntil(() => flood.sim.stored('SM') + flood.sim.stored('ME') === 0, 30_000, 'the SIM emptied');
    expect(texts.filter((t) => received(t) !== 1)).toEqual([]);
    await waitUntil(() => connector('flood').isUp(), 30_000, 'ready again');
  });
});
