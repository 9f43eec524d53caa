/**
 * The modem simulator on one end of a socat pty pair, our AT channel and PDU
 * codec through `serialport` on the other: the conversation the modem driver
 * will have — init, send with a status report, inbound long SMS, errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeSerialPort, openSerialPort as open } from '../../../src/sms/connectors/modem/serial.js';
import { AtChannel, type UnsolicitedCode } from '../../../src/sms/connectors/modem/at-channel.js';
import { decodePdu, encodeSubmitPdu, type DecodedDeliver, type DecodedStatusReport } from '../../../src/sms/connectors/modem/pdu/index.js';
import { decodeShortMessage, planSegments } from '../../../src/sms/encoding/index.js';
import { ModemSimulator } from '../../../src/tools/modem-sim.js';
import { openPtyPair } from '../../helpers/pty-pair.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const pair = await openPtyPair();
  cleanups.push(() => pair.close());
  const modemPort = await open(pair.modemPath);
  const appPort = await open(pair.appPath);
  cleanups.push(
    () => closeSerialPort(appPort),
    () => closeSerialPort(modemPort),
  );
  const sim = new ModemSimulator(modemPort, { reportDelayMs: 30 });
  cleanups.push(() => sim.stop());
  const at = new AtChannel(appPort, 1000);
  const urcs: UnsolicitedCode[] = [];
  at.on('urc', (u: UnsolicitedCode) => urcs.push(u));
  return { sim, at, urcs, modemPort };
}

describe('modem simulator over a pty pair', () => {
  it('answers the init sequence and identity queries', async () => {
    const { at } = await setup();
    for (const command of ['AT', 'ATE0', 'AT+CMEE=1', 'AT+CMGF=0', 'AT+CNMI=2,1,0,1,0']) await at.send(command);
    expect((await at.send('AT+CPIN?')).lines).toEqual(['+CPIN: READY']);
    expect((await at.send('AT+CREG?')).lines).toEqual(['+CREG: 0,1']);
    expect((await at.send('AT+CSQ')).lines).toEqual(['+CSQ: 21,99']);
    expect((await at.send('AT+CGMM')).lines).toEqual(['modem-sim']);
    expect((await at.send('AT+CSCA?')).lines).toEqual(['+CSCA: "+36209300099",145']);
  });

  it('outlives a port error: EIO from a write after the application hung up is counted, not thrown', async () => {
    const { sim, at, modemPort } = await setup();
    await at.send('AT');
    // What serialport emits when a write finds the pty's other side gone (the daemon stopped, socat with it): the
    // CI run that found this had the write race the port's close. Before, nothing listened and the process died.
    const eio = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO', errno: -5, syscall: 'write' });
    expect(() => modemPort.emit('error', eio)).not.toThrow();
    expect(sim.portErrors).toBe(1);
    expect((await at.send('AT+CSQ')).lines).toEqual(['+CSQ: 21,99']);
  });

  it('sends a PDU and gets a status report matched by TP-MR and recipient', async () => {
    const { sim, at, urcs } = await setup();
    await at.send('ATE0');
    await at.send('AT+CNMI=2,1,0,2,0');
    const plan = planSegments('Your receipt: 1234 EUR paid.', { concat: 'udh8' });
    const submit = encodeSubmitPdu({
      recipient: '+36301234567',
      dataCoding: plan.dataCoding,
      payload: plan.parts[0]!.payload,
      messageReference: 0,
      statusReport: true,
    });
    const reply = await at.send(`AT+CMGS=${submit.tpduLength}`, { body: submit.hex });
    const mr = Number(/^\+CMGS: (\d+)/.exec(reply.lines[0]!)![1]);
    expect(sim.sent[0]!.pdu.recipient.number).toBe('+36301234567');
    await waitUntil(() => urcs.some((u) => u.line.startsWith('+CDSI:')), 3000, '+CDSI');
    const index = Number(/,(\d+)$/.exec(urcs.find((u) => u.line.startsWith('+CDSI:'))!.line)![1]);
    expect(urcs.find((u) => u.line.startsWith('+CDSI:'))!.line).toMatch(/^\+CDSI: "SR",/);
    await at.send('AT+CPMS="SR","SM","SM"');
    const read = await at.send(`AT+CMGR=${index}`);
    const report = decodePdu(read.lines[1]!) as DecodedStatusReport;
    expect(report).toMatchObject({ type: 'status-report', messageReference: mr, recipient: { number: '+36301234567' }, outcome: 'delivered' });
  });

  it('indicates a long inbound SMS part by part; the parts read back and join', async () => {
    const { sim, at, urcs } = await setup();
    await at.send('ATE0');
    await at.send('AT+CNMI=2,1,0,2,0');
    const text = 'Inbound message long enough for two parts, with € and [brackets]. '.repeat(3);
    sim.deliverInbound('+36209998877', text);
    await waitUntil(() => urcs.filter((u) => u.line.startsWith('+CMTI:')).length === 2, 3000, 'two +CMTI');
    const parts: DecodedDeliver[] = [];
    for (const urc of urcs.filter((u) => u.line.startsWith('+CMTI:'))) {
      const index = /,(\d+)$/.exec(urc.line)![1];
      parts.push(decodePdu((await at.send(`AT+CMGR=${index}`)).lines[1]!) as DecodedDeliver);
      await at.send(`AT+CMGD=${index}`);
    }
    parts.sort((a, b) => a.udh!.concat!.seq - b.udh!.concat!.seq);
    expect(parts[0]!.sender.number).toBe('+36209998877');
    expect(decodeShortMessage(Buffer.concat(parts.map((p) => p.payload)), 0)).toBe(text);
    await expect(at.send('AT+CMGR=1')).rejects.toMatchObject({ protocolStatus: 321 });
  });

  it('injects +CMS ERROR 500, refuses a wrong AT+CMGS length, and can hang', async () => {
    const { sim, at } = await setup();
    await at.send('ATE0');
    const submit = encodeSubmitPdu({ recipient: '+3630', dataCoding: 0, payload: Buffer.from([0x41]), messageReference: 0, statusReport: false });
    sim.failNextSend = 500;
    await expect(at.send(`AT+CMGS=${submit.tpduLength}`, { body: submit.hex })).rejects.toMatchObject({ protocolStatus: 500, retryable: true });
    // The SMSC octet counted in the length: the classic mistake, refused as 304.
    await expect(at.send(`AT+CMGS=${submit.tpduLength + 1}`, { body: submit.hex })).rejects.toMatchObject({ protocolStatus: 304, retryable: false });
    sim.noise();
    await expect(at.send('AT+CSQ')).resolves.toMatchObject({ lines: ['+CSQ: 21,99'] });
    sim.silent = true;
    await expect(at.send('AT')).rejects.toMatchObject({ code: 'TN_ERR_MODEM_TIMEOUT' });
  });

  it('with AT+CSMS=1 wants every routed +CMT acknowledged; without it, stops routing and the network retries into storage', async () => {
    const { sim, at, urcs } = await setup();
    await at.send('ATE0');
    await at.send('AT+CSMS=1');
    await at.send('AT+CNMI=2,2,0,1,0');
    sim.deliverInbound('+36201234567', 'first');
    await waitUntil(() => urcs.some((u) => u.line.startsWith('+CMT:')), 3000, '+CMT');
    expect(decodePdu(urcs.find((u) => u.line.startsWith('+CMT:'))!.data!)).toMatchObject({ type: 'deliver', text: 'first' });
    await at.send('AT+CNMA');
    await expect(at.send('AT+CNMA')).rejects.toMatchObject({ protocolStatus: 340 }); // nothing left to acknowledge
    sim.deliverInbound('+36201234567', 'second');
    await waitUntil(() => sim.unacknowledged.length === 1 && sim.stored('SM') === 1, 5000, 'refused, retried, stored');
    expect(urcs.filter((u) => u.line.startsWith('+CMTI:'))).toEqual([]); // routing is off now: no indication either
  });

  it('speaks text mode: AT+CMGS with the address, text-mode +CMGR', async () => {
    const { sim, at, urcs } = await setup();
    await at.send('ATE0');
    await at.send('AT+CMGF=1');
    await at.send('AT+CNMI=2,1,0,2,0');
    await at.send('AT+CSMP=49,167,0,0');
    const reply = await at.send('AT+CMGS="+36301234567",145', { body: 'plain text' });
    expect(reply.lines[0]).toMatch(/^\+CMGS: \d+$/);
    expect(sim.sent[0]).toMatchObject({ text: 'plain text', pdu: { recipient: { number: '+36301234567' }, statusReport: true } });
    sim.deliverInbound('+36709998877', 'hello there');
    await waitUntil(() => urcs.some((u) => u.line.startsWith('+CMTI:')), 3000, '+CMTI');
    const index = /,(\d+)$/.exec(urcs.find((u) => u.line.startsWith('+CMTI:'))!.line)![1];
    const read = await at.send(`AT+CMGR=${index}`);
    expect(read.lines[0]).toMatch(/^\+CMGR: "REC UNREAD","\+36709998877",,"\d\d\/\d\d\/\d\d,\d\d:\d\d:\d\d\+04"$/);
    expect(read.lines[1]).toBe('hello there');
  });
});
