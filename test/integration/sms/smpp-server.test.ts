/**
 * telenode's SMPP server with a real SMPP client (the `smpp` package) over
 * loopback, and `telenode smsc-sim` as the carrier behind it: binds and their
 * refusals, submits stored before their resp, long messages joined and sent
 * on as telenode plans them, receipts back as deliver_sm (also after the client
 * was away), MO routed to a client, query_sm, cancel_sm, window and rate
 * limits, and PDUs that cannot be decoded.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { buildConcatUdh, encodeGsm7, encodeUcs2 } from '../../../src/sms/encoding/index.js';
import { SmppStatus } from '../../../src/sms/connectors/smpp/status-codes.js';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { encodePdu, readPdus } from '../../helpers/raw-smpp.js';
import { noDelayOf } from '../../helpers/socket-options.js';
import { SmppTestClient, receiptFields, sendTimeIn } from '../../helpers/smpp-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const carrier = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 50, log: silentLogger() });
let env: Awaited<ReturnType<typeof startDaemon>>;
let port = 0;
const clients: SmppTestClient[] = [];

const CRM = { username: 'crm', password: 'crm-secret' };

async function client(): Promise<SmppTestClient> {
  const c = await SmppTestClient.connect(port);
  clients.push(c);
  return c;
}

async function bound(role: 'transmitter' | 'receiver' | 'transceiver' = 'transceiver', user = CRM): Promise<SmppTestClient> {
  const c = await client();
  expect(await c.bind(role, user.username, user.password)).toBe(0);
  return c;
}

beforeAll(async () => {
  const { port: carrierPort } = await carrier.start();
  env = await startDaemon({
    users: [
      { username: CRM.username, passwordHash: hashPassword(CRM.password), smpp: { maxBinds: 20, window: 50 } },
      { username: 'alarms', passwordHash: hashPassword('alarm-pw'), smpp: { maxBinds: 1, window: 2, mps: 5 } },
      { username: 'http-only', passwordHash: hashPassword('pw') },
    ],
    connectors: [
      { id: 'carrier', type: 'smpp', host: '127.0.0.1', port: carrierPort, systemId: 'telenode', password: 'pw', reconnect: { initialMs: 100, maxMs: 500 } },
      { id: 'nowhere', type: 'smpp', host: '127.0.0.1', port: 1, systemId: 'x', password: 'x', reconnect: { initialMs: 5000, maxMs: 5000 } },
    ],
    routes: [{ recipient: { prefix: '+999' }, connectors: ['nowhere'] }, { connectors: ['carrier'] }],
    sms: { inbound: { routes: [{ recipient: { prefix: '+4420' }, deliverTo: 'smpp:crm' }] } },
    smppServer: { host: '127.0.0.1', port: 0, retrySeconds: 0.2, reassemblyTimeoutSeconds: 2 },
  });
  port = env.daemon.smppServer!.port;
  await waitUntil(() => env.daemon.connectors.get('carrier')!.isUp(), 10_000, 'carrier bind');
});

// Receipts go to any receiving bind of the user: each test's clients leave with it.
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await waitUntil(() => Object.keys(env.daemon.smppServer!.status().binds).length === 0, 5000, 'every client unbound');
});

afterAll(async () => {
  await env.stop();
  await carrier.stop();
});

describe('SMPP server: binds', () => {
  it('refuses a wrong password, a user without SMPP rights, and a bind beyond maxBinds; a request before bind gets ESME_RINVBNDSTS', async () => {
    expect(await (await client()).bind('transceiver', CRM.username, 'wrong')).toBe(SmppStatus['ESME_RINVPASWD']);
    expect(await (await client()).bind('transceiver', 'nobody', 'x')).toBe(SmppStatus['ESME_RINVPASWD']);
    expect(await (await client()).bind('transmitter', 'http-only', 'pw')).toBe(SmppStatus['ESME_RBINDFAIL']);
    const first = await bound('transmitter', { username: 'alarms', password: 'alarm-pw' });
    expect(await (await client()).bind('transmitter', 'alarms', 'alarm-pw')).toBe(SmppStatus['ESME_RBINDFAIL']);
    await first.close();
    await waitUntil(() => (env.daemon.smppServer!.status().binds['alarms'] ?? 0) === 0, 5000, 'unbound');
    const early = await client();
    expect((await early.submit({ short_message: Buffer.from('hi') })).command_status).toBe(SmppStatus['ESME_RINVBNDSTS']);
  });
});

describe('SMPP server: messages and receipts', () => {
  it("turns Nagle off on each client's connection, so a receipt to a quiet client is not held for its delayed ACK", async () => {
    await bound();
    const sessions = (env.daemon.smppServer as unknown as { sessions: Set<{ session: { socket: Socket } }> }).sessions;
    expect(sessions.size).toBe(1);
    for (const { session } of sessions) expect(noDelayOf(session.socket)).toBe(true);
  });

  it('stores a submit before answering, sends it on, and returns the receipt with the submit_sm_resp id', async () => {
    const c = await bound();
    const resp = await c.submit({ destination_addr: '+36101230001', short_message: encodeGsm7('Payment received: 12.50 EUR'), registered_delivery: 1 });
    expect(resp.command_status).toBe(0);
    const id = String(resp['message_id']);
    expect(env.daemon.db.prepare('SELECT dialect, user FROM messages WHERE id = ?').get(id)).toEqual({ dialect: 'smpp', user: 'crm' });
    const [receipt] = await c.waitForDelivers(1, (d) => d.receiptedMessageId === id);
    expect(receipt!.esmClass & 0x04).toBe(0x04);
    expect(receipt!.messageState).toBe(2);
    expect(receiptFields(receipt!.text)).toMatchObject({ id, stat: 'DELIVRD', dlvrd: '001' });
    expect(carrier.received.find((m) => m.destination === '36101230001')!.text).toBe('Payment received: 12.50 EUR');
    const query = await c.request('query_sm', { message_id: id, source_addr: 'ACME' });
    expect(query.command_status).toBe(0);
    expect(query['message_state']).toBe(2);
  });

  it('joins a long UCS-2 message sent as UDH parts and a GSM one sent with SAR, and sends each on as one message; every part gets its receipt', async () => {
    const c = await bound();
    const ucs = 'Ünnepi ajánlat: 20% kedvezmény 🎉 minden termékre! '.repeat(3).trim();
    const chunks = [ucs.slice(0, 60), ucs.slice(60, 120), ucs.slice(120)];
    const udhIds: string[] = [];
    for (const [i, chunk] of chunks.entries()) {
      const r = await c.submit({
        destination_addr: '+36101230002',
        esm_class: 0x40,
        data_coding: 8,
        registered_delivery: 1,
        short_message: Buffer.concat([buildConcatUdh(77, 3, i + 1, false), encodeUcs2(chunk)]),
      });
      expect(r.command_status).toBe(0);
      udhIds.push(String(r['message_id']));
    }
    const gsm = 'Reminder: your appointment is tomorrow at 10:00. Reply STOP to opt out. '.repeat(3).trim();
    const sarIds: string[] = [];
    for (const [i, chunk] of [gsm.slice(0, 150), gsm.slice(150)].entries()) {
      const r = await c.submit({
        destination_addr: '+36101230003',
        registered_delivery: 1,
        short_message: encodeGsm7(chunk),
        sar_msg_ref_num: 500,
        sar_total_segments: 2,
        sar_segment_seqnum: i + 1,
      });
      sarIds.push(String(r['message_id']));
    }
    await c.waitForDelivers(5, (d) => [...udhIds, ...sarIds].includes(d.receiptedMessageId ?? ''));
    const sentUcs = carrier.received.filter((m) => m.destination === '36101230002');
    expect(sentUcs.map((m) => m.text).join('')).toBe(ucs);
    expect(new Set(sentUcs.map((m) => m.concat?.reference)).size).toBe(1);
    expect(
      carrier.received
        .filter((m) => m.destination === '36101230003')
        .map((m) => m.text)
        .join(''),
    ).toBe(gsm);
    expect(new Set(udhIds.map((id) => id.split('.')[0])).size).toBe(1);
  });

  it('takes a long text in message_payload', async () => {
    const c = await bound();
    const text = 'Long text in one PDU. '.repeat(20).trim();
    const r = await c.submit({ destination_addr: '+36101230004', message_payload: encodeGsm7(text) });
    expect(r.command_status).toBe(0);
    await waitUntil(() => carrier.received.filter((m) => m.destination === '36101230004').length >= 3, 10_000, 'parts at the carrier');
    expect(
      carrier.received
        .filter((m) => m.destination === '36101230004')
        .map((m) => m.text)
        .join(''),
    ).toBe(text);
  });

  it("takes a validity_period, absolute or relative, as the message's expiry", async () => {
    const c = await bound();
    // Before: node-smpp handed the server a Date, and every valid validity_period was refused as not SMPP time.
    const absolute = await c.submit({ destination_addr: '+36101230710', validity_period: '291231235959000+', short_message: Buffer.from('a') });
    expect(absolute.command_status).toBe(0);
    const sentAt = Date.now();
    const relative = await c.submit({ destination_addr: '+36101230711', validity_period: '000000010000000R', short_message: Buffer.from('r') });
    expect(relative.command_status).toBe(0);
    const expiry = (id: unknown) => (env.daemon.db.prepare('SELECT expires_at AS at FROM messages WHERE id = ?').get(String(id)) as { at: number }).at;
    expect(expiry(absolute['message_id'])).toBe(Date.UTC(2029, 11, 31, 23, 59, 59));
    expect(Math.abs(expiry(relative['message_id']) - (sentAt + 3_600_000))).toBeLessThan(60_000);
  });

  it('sends at once a message whose schedule_delivery_time is already due (a past time, or now)', async () => {
    const c = await bound();
    for (const [i, when] of ['200101000000000+', '000000000000000R'].entries()) {
      const r = await c.submit({ destination_addr: `+3610123070${i}`, schedule_delivery_time: when, short_message: Buffer.from(`due ${i}`) });
      expect(r.command_status).toBe(0);
    }
    await waitUntil(() => carrier.received.filter((m) => m.destination.startsWith('3610123070')).length === 2, 10_000, 'both at the carrier');
  });

  it('holds a message whose schedule_delivery_time is still to come until that time; cancel_sm takes one back before it', async () => {
    const c = await bound();
    const { at: sendAt, smpp: scheduleDeliveryTime } = sendTimeIn(3000);
    const r = await c.submit({
      destination_addr: '+36101230720',
      schedule_delivery_time: scheduleDeliveryTime,
      registered_delivery: 1,
      short_message: Buffer.from('your table is ready'),
    });
    expect(r.command_status).toBe(0);
    const id = String(r['message_id']);
    expect(env.daemon.db.prepare('SELECT status, send_at AS sendAt FROM messages WHERE id = ?').get(id)).toEqual({ status: 'accepted', sendAt });
    const tomorrow = await c.submit({ destination_addr: '+36101230721', schedule_delivery_time: '000001000000000R', short_message: Buffer.from('tomorrow') });
    expect(tomorrow.command_status).toBe(0);
    const tomorrowId = String(tomorrow['message_id']);
    expect((await c.request('cancel_sm', { message_id: tomorrowId, source_addr: 'ACME' })).command_status).toBe(0);
    expect((await c.request('query_sm', { message_id: tomorrowId, source_addr: 'ACME' }))['message_state']).toBe(4);
    const [receipt] = await c.waitForDelivers(1, (d) => d.receiptedMessageId === id);
    expect(receiptFields(receipt!.text)).toMatchObject({ id, stat: 'DELIVRD' });
    const sent = carrier.received.filter((m) => m.destination === '36101230720');
    expect(sent).toHaveLength(1);
    // At its time, not at its submit three seconds before (Node's timers may fire a millisecond early by Date.now()).
    expect(sent[0]!.at).toBeGreaterThanOrEqual(sendAt - 2);
    expect(carrier.received.some((m) => m.destination === '36101230721')).toBe(false);
  });

  it('replace_sm gives a message that waits for its time a new text, time and receipt request; a sent one cannot be replaced', async () => {
    const c = await bound();
    const r = await c.submit({
      destination_addr: '+36101230730',
      schedule_delivery_time: '000001000000000R',
      data_coding: 8,
      short_message: encodeUcs2('Időpontja hétfőn 9:00-kor'),
    });
    expect(r.command_status).toBe(0);
    const id = String(r['message_id']);
    const { at: sendAt, smpp: scheduleDeliveryTime } = sendTimeIn(2000);
    // In the message's own data_coding (replace_sm has none): UCS-2 here.
    const replaced = await c.request('replace_sm', {
      message_id: id,
      source_addr: '',
      schedule_delivery_time: scheduleDeliveryTime,
      registered_delivery: 1,
      short_message: encodeUcs2('Áthelyezve: kedd 10:00'),
    });
    expect(replaced.command_status).toBe(0);
    const [receipt] = await c.waitForDelivers(1, (d) => d.receiptedMessageId === id);
    expect(receiptFields(receipt!.text)).toMatchObject({ id, stat: 'DELIVRD' });
    const sent = carrier.received.filter((m) => m.destination === '36101230730');
    expect(sent.map((m) => m.text)).toEqual(['Áthelyezve: kedd 10:00']);
    expect(sent[0]!.at).toBeGreaterThanOrEqual(sendAt - 2);
    expect((await c.request('replace_sm', { message_id: id, short_message: encodeUcs2('késő') })).command_status).toBe(SmppStatus['ESME_RREPLACEFAIL']);
    expect((await c.request('replace_sm', { message_id: 'no-such-id', short_message: Buffer.from('x') })).command_status).toBe(SmppStatus['ESME_RREPLACEFAIL']);
    const waiting = String(
      (await c.submit({ destination_addr: '+36101230731', schedule_delivery_time: '000001000000000R', short_message: Buffer.from('w') }))['message_id'],
    );
    expect((await c.request('replace_sm', { message_id: waiting, schedule_delivery_time: 'soon', short_message: Buffer.from('x') })).command_status).toBe(
      SmppStatus['ESME_RINVSCHED'],
    );
    expect(env.daemon.db.prepare('SELECT text FROM messages WHERE id = ?').get(waiting)).toEqual({ text: 'w' });
    expect((await c.request('cancel_sm', { message_id: waiting, source_addr: 'ACME' })).command_status).toBe(0);
  });

  it('answers bad input with the SMPP status and stores nothing', async () => {
    const c = await bound();
    const before = (env.daemon.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
    expect((await c.submit({ destination_addr: 'not-a-number', short_message: Buffer.from('x') })).command_status).toBe(SmppStatus['ESME_RINVDSTADR']);
    expect((await c.submit({ source_addr: 'WAY-TOO-LONG-SENDER', short_message: Buffer.from('x') })).command_status).toBe(SmppStatus['ESME_RINVSRCADR']);
    expect((await c.submit({ validity_period: 'tomorrow', short_message: Buffer.from('x') })).command_status).toBe(SmppStatus['ESME_RINVEXPIRY']);
    expect((await c.submit({ schedule_delivery_time: 'at noon', short_message: Buffer.from('x') })).command_status).toBe(SmppStatus['ESME_RINVSCHED']);
    // A send time after the message's own expiry: it could never go.
    expect(
      (await c.submit({ schedule_delivery_time: '000000020000000R', validity_period: '000000010000000R', short_message: Buffer.from('x') })).command_status,
    ).toBe(SmppStatus['ESME_RINVSCHED']);
    expect((await c.submit({ data_coding: 4, short_message: Buffer.from([1, 2, 3]) })).command_status).toBe(SmppStatus['ESME_RSUBMITFAIL']);
    expect((await c.submit({ short_message: Buffer.alloc(0) })).command_status).toBe(SmppStatus['ESME_RINVMSGLEN']);
    expect((await c.request('submit_multi', { short_message: Buffer.from('y') })).command_status).toBe(SmppStatus['ESME_RINVCMDID']);
    // A long message announced in more parts than sms.maxParts (10) is refused at its first part: nothing is parked for it.
    const announced = await c.submit({ esm_class: 0x40, short_message: Buffer.concat([buildConcatUdh(3, 200, 1, false), encodeGsm7('part one')]) });
    expect(announced.command_status).toBe(SmppStatus['ESME_RINVMSGLEN']);
    expect((env.daemon.db.prepare('SELECT COUNT(*) AS n FROM smpp_submit_parts').get() as { n: number }).n).toBe(0);
    expect((env.daemon.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n).toBe(before);
  });

  it('keeps receipts while the client has no receiver bind and delivers them, in order, when it binds again', async () => {
    const tx = await bound('transmitter');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await tx.submit({ destination_addr: `+3610123010${i}`, short_message: Buffer.from(`away ${i}`), registered_delivery: 1 });
      ids.push(String(r['message_id']));
    }
    await waitUntil(
      () => (env.daemon.db.prepare("SELECT COUNT(*) AS n FROM smpp_deliveries WHERE system_id = 'crm'").get() as { n: number }).n >= 5,
      10_000,
      'receipts queued',
    );
    const rx = await bound('receiver');
    const got = await rx.waitForDelivers(5, (d) => ids.includes(d.receiptedMessageId ?? ''));
    expect(new Set(got.map((d) => d.receiptedMessageId))).toEqual(new Set(ids));
  });

  it('offers a receipt the client refused again later', async () => {
    const c = await bound();
    c.deliverStatus = SmppStatus['ESME_RX_T_APPN']!;
    const r = await c.submit({ destination_addr: '+36101230201', short_message: Buffer.from('retry me'), registered_delivery: 1 });
    const id = String(r['message_id']);
    await waitUntil(() => carrier.received.some((m) => m.destination === '36101230201' && m.finalStat), 10_000, 'carrier receipt');
    await waitUntil(
      () =>
        ((env.daemon.db.prepare('SELECT attempts FROM smpp_deliveries WHERE fields LIKE ?').get(`%${id}%`) as { attempts: number } | undefined)?.attempts ??
          0) >= 1,
      10_000,
      'a refused attempt',
    );
    c.deliverStatus = 0;
    await c.waitForDelivers(1, (d) => d.receiptedMessageId === id);
  });

  it('cancels a message still waiting for its carrier; query_sm then says DELETED and a sent one cannot be cancelled', async () => {
    const c = await bound();
    const waiting = await c.submit({ destination_addr: '+9991234567', short_message: Buffer.from('never mind'), registered_delivery: 1 });
    const id = String(waiting['message_id']);
    expect((await c.request('cancel_sm', { message_id: id, source_addr: 'ACME', destination_addr: '+9991234567' })).command_status).toBe(0);
    expect((await c.request('query_sm', { message_id: id, source_addr: 'ACME' }))['message_state']).toBe(4);
    const [receipt] = await c.waitForDelivers(1, (d) => d.receiptedMessageId === id);
    expect(receiptFields(receipt!.text).stat).toBe('DELETED');
    const sent = await c.submit({ destination_addr: '+36101230301', short_message: Buffer.from('already gone') });
    await waitUntil(() => carrier.received.some((m) => m.destination === '36101230301'), 10_000, 'sent');
    expect((await c.request('cancel_sm', { message_id: String(sent['message_id']), source_addr: 'ACME' })).command_status).toBe(SmppStatus['ESME_RCANCELFAIL']);
  });

  it('fails a long message whose parts never all arrive, with a receipt for each part that came', async () => {
    const c = await bound();
    const r = await c.submit({
      destination_addr: '+36101230401',
      esm_class: 0x40,
      registered_delivery: 1,
      short_message: Buffer.concat([buildConcatUdh(9, 2, 1, false), encodeGsm7('half')]),
    });
    const id = String(r['message_id']);
    const [receipt] = await c.waitForDelivers(1, (d) => d.receiptedMessageId === id, 15_000);
    expect(receiptFields(receipt!.text).stat).toBe('REJECTD');
    expect(carrier.received.some((m) => m.destination === '36101230401')).toBe(false);
  });

  it('routes inbound SMS to the client named by sms.inbound.routes, joined', async () => {
    const c = await bound('receiver');
    const text =
      'Reply from a customer that is long enough to need two parts of one hundred and fifty three characters each, which the carrier sends as UDH parts.';
    await carrier.sendMo({ from: '+447700900123', to: '+442071234567', text: `${text} ${text}` });
    const [mo] = await c.waitForDelivers(1, (d) => (d.esmClass & 0x04) === 0 && d.source === '+447700900123');
    expect(mo!.destination).toBe('+442071234567');
    expect(mo!.payload).not.toBeNull();
  });
});

describe('SMPP server: limits and broken input', () => {
  it('refuses requests beyond the window and beyond the user’s messages per second with ESME_RTHROTTLED', async () => {
    const c = await bound('transmitter', { username: 'alarms', password: 'alarm-pw' });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => c.submit({ destination_addr: `+3610123050${i % 10}`, short_message: Buffer.from(`burst ${i}`) })),
    );
    const ok = answers.filter((a) => a.command_status === 0).length;
    const throttled = answers.filter((a) => a.command_status === SmppStatus['ESME_RTHROTTLED']).length;
    expect(ok + throttled).toBe(20);
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(5); // mps 5, window 2: never more than the bucket holds
    await c.close();
  });

  it('answers an undecodable PDU with its error and reads on; a stream that cannot be framed loses its session, not the server', async () => {
    const socket = connect(port, '127.0.0.1');
    const answers: Array<{ commandId: number; status: number }> = [];
    readPdus(socket, (pdu, commandId) => answers.push({ commandId, status: pdu.readUInt32BE(8) }));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(encodePdu('bind_transceiver', { system_id: CRM.username, password: CRM.password, sequence_number: 1 }));
    await waitUntil(() => answers.length >= 1, 10_000, 'bind_resp');
    expect(answers[0]).toEqual({ commandId: 0x80000009, status: 0 });
    // A submit_sm whose body stops inside service_type: header sound, body not decodable.
    const broken = Buffer.from('0000001300000004000000000000000241424344', 'hex').subarray(0, 19);
    broken.writeUInt32BE(broken.length, 0);
    socket.write(broken);
    socket.write(encodePdu('enquire_link', { sequence_number: 3 }));
    await waitUntil(() => answers.length >= 3, 10_000, 'answers');
    expect(answers[1]!.commandId).toBe(0x80000004);
    expect(answers[1]!.status).not.toBe(0);
    expect(answers[2]).toEqual({ commandId: 0x80000015, status: 0 });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(Buffer.from('00000005ffffffff', 'hex')); // command_length 5: cannot be framed
    await closed;
    const again = await bound();
    expect((await again.request('enquire_link', {})).command_status).toBe(0);
  });
});
