/**
 * Modem profiles end to end: four simulated modem families (generic,
 * SIMCom, Quectel, Huawei) behind one daemon, each picked by `profile: auto`
 * from AT+CGMI, each sending with a status report and receiving a long SMS
 * the way its profile says — routed reports (+CDS) acknowledged with
 * AT+CNMA where the modem has phase 2+ (generic, Quectel), routed without
 * on SIMCom, stored (+CDSI) on a Huawei without phase 2+, its ^RSSI noise
 * silenced and its three-memory AT+CPMS — plus +CMT direct delivery of a
 * concatenated SMS with CNMA, routed delivery refused where it could not be
 * acknowledged, and a Quectel reboot (RDY) that is re-initialised.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModemSimulator, SimVendor } from '../../../src/tools/modem-sim.js';
import type { ModemConnector } from '../../../src/sms/connectors/modem/modem-connector.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { SimulatedModem } from '../../helpers/simulated-modem.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const auth = { Username: TEST_USER.username, Password: TEST_USER.password };
const VENDORS: Array<{ vendor: SimVendor; prefix: string }> = [
  { vendor: 'generic', prefix: '+3620' },
  { vendor: 'simcom', prefix: '+3630' },
  { vendor: 'quectel', prefix: '+3640' },
  { vendor: 'huawei', prefix: '+3650' },
];
const modems = new Map<string, SimulatedModem>();
let routed: SimulatedModem;
let unacked: SimulatedModem;
let env: Awaited<ReturnType<typeof startDaemon>>;
const receipts = new HttpReceiver();
const inbound = new HttpReceiver();
const sim = (id: string): ModemSimulator => (id === 'routed' ? routed : id === 'unacked' ? unacked : modems.get(id)!).sim;
const connector = (id: string) => env.daemon.connectors.get(id) as ModemConnector;
const fast = { commandTimeoutMs: 1000, healthSeconds: 0.3, sweepSeconds: 1, reconnect: { initialMs: 100, maxMs: 500 } };

beforeAll(async () => {
  // This Huawei stick has no phase 2+ (AT+CSMS=1 refused): its reports are stored and read back.
  for (const { vendor } of VENDORS)
    modems.set(vendor, await SimulatedModem.open({ vendor, reportDelayMs: 30, cnmaTimeoutMs: 1000, phase2Plus: vendor !== 'huawei' }));
  routed = await SimulatedModem.open({ vendor: 'quectel', cnmaTimeoutMs: 1000 });
  unacked = await SimulatedModem.open({ vendor: 'simcom' });
  await receipts.start();
  await inbound.start();
  env = await startDaemon({
    connectors: [
      ...VENDORS.map(({ vendor }) => ({ id: vendor, type: 'modem', port: modems.get(vendor)!.path, ownNumber: '+36201112222', ...fast })),
      // Direct delivery: inbound SMS routed as +CMT, acknowledged (AT+CNMA) once stored.
      { id: 'routed', type: 'modem', port: routed.path, ownNumber: '+36209990000', cnmi: '2,2,0,1,0', ...fast },
      // The same setting on a profile that does not acknowledge routed messages: stored instead.
      { id: 'unacked', type: 'modem', port: unacked.path, ownNumber: '+36209990001', cnmi: '2,2,0,1,0', ...fast },
    ],
    routes: VENDORS.map(({ vendor, prefix }) => ({ recipient: { prefix }, connectors: [vendor] })),
    sms: { retry: { initialMs: 100, maxMs: 300, maxAgeHours: 1 }, inbound: { url: inbound.url('/mo'), reassemblyTimeoutSeconds: 30 } },
  });
  await waitUntil(() => [...env.daemon.connectors.values()].every((c) => c.isUp()), 15_000, 'every modem ready');
});

afterAll(async () => {
  await env.stop();
  for (const modem of [...modems.values(), routed, unacked]) await modem.close();
  await receipts.stop();
  await inbound.stop();
});

async function sendAndAwaitReport(recipient: string, text: string): Promise<Record<string, string>> {
  const reply = await ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: recipient, Message: text, DeliveryReportURL: receipts.url() }));
  expect(reply.code).toBe(200);
  await receipts.waitFor((r) => r.some((q) => q.form.get('SmsId') === reply.smsId), 15_000);
  return Object.fromEntries(receipts.requests.find((q) => q.form.get('SmsId') === reply.smsId)!.form);
}

async function receive(id: string, from: string, text: string): Promise<Record<string, string>> {
  sim(id).deliverInbound(from, text);
  await inbound.waitFor((r) => r.some((q) => q.form.get('Sender') === from), 15_000);
  return Object.fromEntries(inbound.requests.find((q) => q.form.get('Sender') === from)!.form);
}

describe('modem profiles', () => {
  it.each(VENDORS)(
    '$vendor: picked from AT+CGMI; a long message is delivered per status reports and a long inbound SMS arrives whole',
    async ({ vendor, prefix }) => {
      expect(connector(vendor).status().binds[0]).toMatchObject({ profile: vendor, messageMode: 'pdu', operator: 'Telenode Mobile', signal: 21 });
      const text = `Profile ${vendor}: a message long enough for two parts, sent with status reports. `.repeat(3);
      const report = await sendAndAwaitReport(`${prefix}1234567`, text);
      expect(report).toMatchObject({ Status: 'delivered', Connector: vendor, Parts: '2' });
      const from = `${prefix}7654321`;
      const reply = `Reply through ${vendor}, in two parts as well: ` + 'ok '.repeat(50);
      expect(await receive(vendor, from, reply)).toMatchObject({ Message: reply, Complete: 'true', Parts: '2', Connector: vendor });
      // Read, stored, then deleted: nothing left behind in any memory.
      await waitUntil(() => sim(vendor).stored('SM') + sim(vendor).stored('SR') === 0, 5000, 'storage emptied');
    },
  );

  it('generic with phase 2+: reports routed (+CDS) and acknowledged once stored — no AT+CMGR/AT+CMGD between sends', () => {
    const commands = sim('generic').commands;
    expect(commands).toContain('AT+CSMS=1');
    expect(commands).toContain('AT+CNMI=2,1,0,1,0');
    expect(commands.filter((c) => c === 'AT+CNMA')).toHaveLength(2);
    expect(sim('generic').unacknowledged).toEqual([]);
  });

  it('Huawei without phase 2+: reports stored and indicated (+CDSI in SR), read after selecting SR with the other memories kept', () => {
    const commands = sim('huawei').commands;
    expect(commands).toContain('AT+CSMS=1'); // asked, refused
    expect(commands).toContain('AT+CNMI=2,1,0,2,0');
    expect(commands).toContain('AT+CPMS="SR","SM","SM"');
    expect(commands).not.toContain('AT+CNMA');
  });

  it('routed inbound (+CMT) configured where it cannot be acknowledged: stored instead, so a message that comes while telenode is down waits in the SIM', async () => {
    const commands = sim('unacked').commands;
    expect(commands).not.toContain('AT+CNMI=2,2,0,1,0');
    expect(commands).toContain('AT+CNMI=2,1,0,1,0');
    sim('unacked').deliverInbound('+36705550000', 'stored, not routed');
    await inbound.waitFor((r) => r.some((q) => q.form.get('Sender') === '+36705550000'), 15_000);
    await waitUntil(() => sim('unacked').stored('SM') === 0, 5000, 'read and deleted');
  });

  it('SIMCom: reports routed as +CDS, AT+CMGF=0 re-sent before every message', () => {
    const commands = sim('simcom').commands;
    expect(commands).toContain('AT+CNMI=2,1,0,1,0');
    // Since the previous AT+CMGS (health polls may come in between), the format was set again.
    const sends = commands.flatMap((c, i) => (c.startsWith('AT+CMGS=') ? [i] : []));
    expect(sends).toHaveLength(2);
    sends.forEach((at, n) => expect(commands.slice(n === 0 ? 0 : sends[n - 1]! + 1, at)).toContain('AT+CMGF=0'));
  });

  it('Quectel: phase 2+ on, every routed report acknowledged with AT+CNMA after it was stored', () => {
    const commands = sim('quectel').commands;
    expect(commands).toContain('AT+CSMS=1');
    expect(commands).toContain('AT+CNMI=2,1,0,1,0');
    expect(commands.filter((c) => c === 'AT+CNMA')).toHaveLength(2);
    expect(sim('quectel').unacknowledged).toEqual([]);
  });

  it('Huawei: ^ URCs silenced with AT^CURC=0, storage selected with all three memories', () => {
    const commands = sim('huawei').commands;
    expect(commands).toContain('AT^CURC=0');
    expect(commands.filter((c) => c.startsWith('AT+CPMS=')).every((c) => c.split(',').length === 3)).toBe(true);
  });

  it('+CMT direct delivery: a concatenated SMS routed part by part, each part acknowledged once stored', async () => {
    expect(connector('routed').status().binds[0]).toMatchObject({ profile: 'quectel' });
    const text = 'Routed straight to us as +CMT, in three parts, acknowledged one by one with AT+CNMA. '.repeat(4);
    expect(await receive('routed', '+36701230000', text)).toMatchObject({ Message: text, Complete: 'true', Parts: '3', Recipient: '+36209990000' });
    // Acknowledged after the commit that also queued the IncomingSMS callback: it may trail the callback a little.
    await waitUntil(() => routed.sim.commands.filter((c) => c === 'AT+CNMA').length === 3, 5000, 'three AT+CNMA');
    expect(routed.sim.unacknowledged).toEqual([]);
    expect(routed.sim.stored('SM')).toBe(0);
  });

  it('Quectel reboot (RDY): settings lost, the modem is initialised again and keeps working', async () => {
    const quectel = sim('quectel');
    const cnmiBefore = quectel.commands.filter((c) => c.startsWith('AT+CNMI=')).length;
    quectel.reboot();
    await waitUntil(
      () => quectel.commands.filter((c) => c.startsWith('AT+CNMI=')).length > cnmiBefore && connector('quectel').isUp(),
      10_000,
      're-initialised after RDY',
    );
    const report = await sendAndAwaitReport('+36409998877', 'after the reboot');
    expect(report).toMatchObject({ Status: 'delivered', Connector: 'quectel' });
  });
});
