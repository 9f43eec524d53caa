/**
 * The Voximplant-style SMS methods (seed 003) over real HTTP against a running
 * daemon that sends through `telenode smsc-sim` over loopback SMPP, receives
 * MO messages from it, and posts IncomingSMS to a real receiver.
 */
import { generateKeyPairSync } from 'node:crypto';
import { rmSync } from 'node:fs';
import { SignJWT, importPKCS8, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../../../src/app/daemon.js';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { generateApiKey, hashApiKey } from '../../../src/shared/api-key.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { voxFetch, voxGet, voxPost, type VoxReply } from '../../helpers/voximplant-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const KEY = generateApiKey();
const OTHER_KEY = generateApiKey();
const LIMITED_KEY = generateApiKey();
const PASSWORD = 'qwe123';
// A Voximplant service account's key pair: Voximplant keeps the public half, the client signs with the private one.
const SERVICE_KEYS = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const SERVICE_KEY_ID = '3e2b7c94-5f0a-4d1e-9c61-7a8b2f4e1d00';
const HASH = hashPassword(PASSWORD);

const good = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
const failing = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 20, failureRate: 1, log: silentLogger() });
const rejecting = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 20, rejectRate: 1, log: silentLogger() });
const inbound = new HttpReceiver();
let env: Awaited<ReturnType<typeof startDaemon>>;

function smpp(id: string, port: number) {
  return { id, type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', window: 50, reconnect: { initialMs: 100, maxMs: 500 } };
}

async function startWith(config: Readonly<Daemon['config']>): Promise<Daemon> {
  const daemon = await Daemon.start({ config, configSource: 'test', log: silentLogger() });
  await waitUntil(() => [...daemon.connectors.values()].every((c) => c.isUp()), 10_000, 'binds');
  return daemon;
}

/** Restart on the same store and config (what a service restart does). */
async function restart(): Promise<void> {
  const config = env.daemon.config;
  await env.daemon.stop();
  env.daemon = await startWith(config);
  env.base = `http://127.0.0.1:${env.daemon.address.port}`;
}

function count(sql: string, ...args: unknown[]): number {
  return (env.daemon.db.prepare(`SELECT COUNT(*) AS n FROM (${sql})`).get(...args) as { n: number }).n;
}
const messageCount = () => count('SELECT id FROM messages');

const call = (method: string, params: Record<string, string>, key = KEY) => voxGet(env.base, method, { api_key: key, ...params });

function expectError(reply: VoxReply, code: number, msg?: RegExp): void {
  expect(reply.status).toBe(200);
  expect(reply.contentType).toMatch(/^application\/json/);
  expect(Object.keys(reply.json)).toEqual(['error']);
  expect(reply.json['error']['code']).toBe(code);
  expect(typeof reply.json['error']['msg']).toBe('string');
  if (msg) expect(reply.json['error']['msg']).toMatch(msg);
}

async function waitForStatus(messageId: number, status: string): Promise<void> {
  await waitUntil(
    () =>
      count(
        "SELECT 1 FROM messages m JOIN message_seq s ON s.direction = 'out' AND s.message_id = m.id WHERE s.seq = ? AND m.status = ?",
        messageId,
        status,
      ) === 1,
    10_000,
    `message ${messageId} ${status}`,
  );
}

beforeAll(async () => {
  const [g, f, r] = await Promise.all([good.start(), failing.start(), rejecting.start()]);
  await inbound.start();
  env = await startDaemon({
    users: [
      {
        username: 'HTTP_User_1',
        passwordHash: HASH,
        apiKeyHashes: [hashApiKey(KEY)],
        numbers: ['447443332211', '+12345678222'],
        voximplant: { accountId: 1001, serviceAccountKeys: [{ keyId: SERVICE_KEY_ID, publicKey: SERVICE_KEYS.publicKey }] },
      },
      { username: 'other', passwordHash: HASH, apiKeyHashes: [hashApiKey(OTHER_KEY)], numbers: ['447000000001'] },
      { username: 'limited', passwordHash: HASH, apiKeyHashes: [hashApiKey(LIMITED_KEY)], numbers: ['447000000002'], quota: { partsPerDay: 3 } },
    ],
    connectors: [smpp('good', g.port), smpp('failing', f.port), smpp('rejecting', r.port)],
    routes: [
      { recipient: { prefix: '449' }, connectors: ['failing'] },
      { recipient: { prefix: '448' }, connectors: ['rejecting'] },
      { recipient: { prefix: ['44', '1', '36'] }, connectors: ['good'] },
    ],
    // Far below what Voximplant's own limits need (1,600 characters: 11 parts): its limits hold whatever this says.
    sms: { maxParts: 3, inbound: { url: inbound.url('/mo') } },
    http: { host: '127.0.0.1', port: 0, bodyLimitBytes: 8192 },
  });
  await waitUntil(() => [...env.daemon.connectors.values()].every((c) => c.isUp()), 10_000, 'binds');
});

afterAll(async () => {
  // Not env.stop(): after a restart the running daemon is another one.
  await env.daemon.stop();
  rmSync(env.dir, { recursive: true, force: true });
  await Promise.all([good.stop(), failing.stop(), rejecting.stop(), inbound.stop()]);
});

describe('seed 003 examples', () => {
  it('SendSmsMessage: "Test message" from 447443332211 to 447443332212', async () => {
    const reply = await call('SendSmsMessage', { source: '447443332211', destination: '447443332212', sms_body: 'Test message' });
    expect(reply.status).toBe(200);
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(reply.json).toEqual({ result: 1, message_id: expect.any(Number), fragments_count: 1 });
    // Stored before the answer, as any dialect's message.
    const row = env.daemon.db
      .prepare(
        "SELECT m.sender, m.recipient, m.text, m.dialect, m.user FROM messages m JOIN message_seq s ON s.direction = 'out' AND s.message_id = m.id WHERE s.seq = ?",
      )
      .get(reply.json['message_id']);
    expect(row).toEqual({ sender: '447443332211', recipient: '447443332212', text: 'Test message', dialect: 'voximplant', user: 'HTTP_User_1' });
    await waitUntil(() => good.received.some((m) => m.destination === '447443332212' && m.text === 'Test message'), 10_000, 'the SMSC got it');
  });

  it('A2PSendSms: "Test message" from 447443332211 to 447443332212 and 447443332213', async () => {
    const reply = await call('A2PSendSms', { src_number: '447443332211', dst_numbers: '447443332212;447443332213', text: 'Test message' });
    expect(reply.json).toEqual({
      result: [
        { message_id: expect.any(Number), destination_number: '447443332212' },
        { message_id: expect.any(Number), destination_number: '447443332213' },
      ],
      failed: [],
      fragments_count: 1,
    });
    expect(reply.json['result'][0].message_id).not.toBe(reply.json['result'][1].message_id);
  });

  it('ControlSms: enable (and disable) SMS for phone number 447443332211', async () => {
    expect((await call('ControlSms', { phone_number: '447443332211', command: 'disable' })).json).toEqual({ result: 1 });
    expect((await call('ControlSms', { phone_number: '447443332211', command: 'enable' })).json).toEqual({ result: 1 });
    expect(env.daemon.db.prepare('SELECT sms_enabled FROM number_settings WHERE number = ?').get('447443332211')).toEqual({ sms_enabled: 1 });
  });

  it.each(['GetSmsHistory', 'A2PGetSmsHistory'])('%s: messages sent to 12345678222 since March 1, 2019, at most 2 rows', async (method) => {
    for (const text of ['one', 'two', 'three']) {
      expect(
        (await call('SendSmsMessage', { source: '447443332211', destination: '12345678222', sms_body: `${method} ${text}`, store_body: 'true' })).json[
          'result'
        ],
      ).toBe(1);
    }
    const reply = await call(method, { destination_number: '12345678222', from_date: '2019-03-01 00:00:00', count: '2' });
    expect(reply.json['result']).toHaveLength(2);
    expect(reply.json['total_count']).toBeGreaterThanOrEqual(3);
    for (const row of reply.json['result']) {
      expect(row.destination_number).toBe('12345678222');
      expect(row.processed_date ?? row.processing_date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    }
  });
});

describe('SendSmsMessage', () => {
  it('accepts sms_body of exactly 765 characters and refuses 766, storing nothing', async () => {
    const ok = await call('SendSmsMessage', { source: '447443332211', destination: '447443332214', sms_body: 'a'.repeat(765) });
    expect(ok.json).toMatchObject({ result: 1, fragments_count: 5 });
    const before = messageCount();
    const tooLong = await call('SendSmsMessage', { source: '447443332211', destination: '447443332214', sms_body: 'a'.repeat(766) });
    expectError(tooLong, 101, /sms_body.*765/);
    expect(messageCount()).toBe(before);
  });

  it('counts 765 characters, not UTF-16 units: 765 emoji pass, 766 do not', async () => {
    const ok = await call('SendSmsMessage', { source: '447443332211', destination: '447443332214', sms_body: '😀'.repeat(765) });
    expect(ok.json['result'], JSON.stringify(ok.json)).toBe(1);
    expectError(await call('SendSmsMessage', { source: '447443332211', destination: '447443332214', sms_body: '😀'.repeat(766) }), 101);
  });

  it('counts fragments as the seed says: 160 GSM-7 / 70 UTF-16 characters in one, then 153 / 67 per fragment', async () => {
    const fragments = async (text: string) =>
      (await call('SendSmsMessage', { source: '447443332211', destination: '447443332215', sms_body: text })).json['fragments_count'];
    expect(await fragments('x'.repeat(160))).toBe(1);
    expect(await fragments('x'.repeat(161))).toBe(2);
    expect(await fragments('x'.repeat(306))).toBe(2);
    expect(await fragments('x'.repeat(307))).toBe(3);
    expect(await fragments('ж'.repeat(70))).toBe(1);
    expect(await fragments('ж'.repeat(71))).toBe(2);
    expect(await fragments('€'.repeat(80))).toBe(1); // € is GSM-7 but takes two septets
    expect(await fragments('€'.repeat(81))).toBe(2);
  });

  it('accepts POST form bodies and the cmd= form at /platform_api', async () => {
    const posted = await voxPost(env.base, 'SendSmsMessage', {
      api_key: KEY,
      source: '447443332211',
      destination: '447443332216',
      sms_body: 'árvíztűrő tükörfúrógép',
    });
    expect(posted.json['result']).toBe(1);
    const cmd = await voxPost(
      env.base,
      '',
      { cmd: 'SendSmsMessage', api_key: KEY, source: '447443332211', destination: '447443332216', sms_body: 'via cmd' },
      '/platform_api',
    );
    expect(cmd.json['result']).toBe(1);
  });

  it('refuses bad input with the error object and stores nothing', async () => {
    const before = messageCount();
    const base = { source: '447443332211', destination: '447443332212', sms_body: 'hello' };
    expectError(await call('SendSmsMessage', { ...base, source: '' }), 101, /source/);
    expectError(await call('SendSmsMessage', { ...base, destination: 'not a number' }), 101, /destination/);
    expectError(await call('SendSmsMessage', { ...base, sms_body: '' }), 101, /sms_body/);
    expectError(await call('SendSmsMessage', { ...base, store_body: 'maybe' }), 101, /store_body/);
    expectError(await call('SendSmsMessage', { ...base, destination: '5551234' }), 14, /route/); // no dial-plan rule
    const malformed = await voxFetch(
      `${env.base}/platform_api/SendSmsMessage?api_key=${KEY}&account_id=1001&source=447443332211&destination=447443332212&sms_body=%E0%A4`,
    );
    expectError(malformed, 101, /UTF-8/);
    const huge = await voxPost(env.base, 'SendSmsMessage', { api_key: KEY, ...base, sms_body: 'x'.repeat(9000) });
    expectError(huge, 101);
    expect(messageCount()).toBe(before);
  });

  it('refuses a missing or wrong api_key (100) and an unknown method (103), storing nothing', async () => {
    const before = messageCount();
    const params = { source: '447443332211', destination: '447443332212', sms_body: 'x' };
    expectError(await voxGet(env.base, 'SendSmsMessage', params), 100, /Authorization failed/);
    expectError(await voxGet(env.base, 'SendSmsMessage', { ...params, api_key: generateApiKey() }), 100);
    expectError(await call('SendSmsMessageNow', params), 103, /SendSmsMessageNow/);
    expect(messageCount()).toBe(before);
  });

  it("answers a request that names no method with Voximplant's 102 Missing 'cmd' parameter", async () => {
    const query = new URLSearchParams({ account_id: '1001', api_key: KEY, source: '447443332211', destination: '447443332212', sms_body: 'x' });
    expectError(await voxFetch(`${env.base}/platform_api?${query}`), 102, /^Missing 'cmd' parameter$/);
    expectError(await voxFetch(`${env.base}/platform_api?cmd=&${query}`), 102, /^Missing 'cmd' parameter$/);
    // With cmd it is the method, as before.
    expect((await voxFetch(`${env.base}/platform_api?cmd=SendSmsMessage&${query}`)).json).toMatchObject({ result: 1 });
  });

  it('refuses an api_key without account_id, or with another account’s id (100)', async () => {
    const before = messageCount();
    const params = { source: '447443332211', destination: '447443332212', sms_body: 'x', api_key: KEY };
    expectError(await voxFetch(`${env.base}/platform_api/SendSmsMessage?${new URLSearchParams(params)}`), 100, /Authorization failed/);
    expectError(await voxGet(env.base, 'SendSmsMessage', { ...params, account_id: '1002' }), 100, /Authorization failed/);
    expect(messageCount()).toBe(before);
  });
});

describe('service-account JWT (Authorization: Bearer)', () => {
  async function token(claims: { iss?: number | string; iat?: number; exp?: number }, kid = SERVICE_KEY_ID, key = SERVICE_KEYS.privateKey): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    // Voximplant's clients write iss as a number, which JWTPayload types as a string.
    return new SignJWT({ iss: 1001, iat: now, exp: now + 3600, ...claims } as unknown as JWTPayload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
      .sign(await importPKCS8(key, 'RS256'));
  }
  const bearer = async (jwt: string, method = 'SendSmsMessage', params: Record<string, string> = {}) =>
    voxFetch(
      `${env.base}/platform_api/${method}?${new URLSearchParams({ source: '447443332211', destination: '447443332299', sms_body: 'via JWT', ...params })}`,
      {
        headers: { authorization: `Bearer ${jwt}` },
      },
    );

  it('sends as the user whose service-account key signed the token (iss = account id, as a number, the way Voximplant’s clients write it)', async () => {
    const reply = await bearer(await token({}));
    expect(reply.json['result']).toBe(1);
    const history = await bearer(await token({}), 'GetSmsHistory', { destination_number: '447443332299' });
    expect(history.json['result']).toHaveLength(1);
  });

  it('refuses a token signed with another key, for another account, expired, living over an hour, or of an unknown key id (100), storing nothing', async () => {
    const before = messageCount();
    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const now = Math.floor(Date.now() / 1000);
    for (const jwt of [
      await token({}, SERVICE_KEY_ID, other.privateKey),
      await token({ iss: 1002 }),
      await token({ iat: now - 7200, exp: now - 3600 }),
      await token({ iat: now, exp: now + 7200 }),
      await token({}, 'no-such-key'),
      'not.a.jwt',
    ]) {
      expectError(await bearer(jwt), 100, /Authorization failed/);
    }
    expect(messageCount()).toBe(before);
  });
});

describe('A2PSendSms', () => {
  const destinations = (n: number, prefix = '4474400') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`).join(';');

  it('sends to exactly 100 destinations and refuses 101, storing nothing', async () => {
    const ok = await call('A2PSendSms', { src_number: 'ACME', dst_numbers: destinations(100), text: 'hundred' });
    expect(ok.json['result']).toHaveLength(100);
    expect(ok.json['failed']).toEqual([]);
    expect(new Set(ok.json['result'].map((r: { message_id: number }) => r.message_id)).size).toBe(100);
    const before = messageCount();
    expectError(await call('A2PSendSms', { src_number: 'ACME', dst_numbers: destinations(101), text: 'too many' }), 101, /dst_numbers.*100/);
    expect(messageCount()).toBe(before);
  });

  it('accepts text of exactly 1600 characters and refuses 1601, storing nothing', async () => {
    const ok = await call('A2PSendSms', { src_number: '447443332211', dst_numbers: '447443332217', text: 'b'.repeat(1600) });
    expect(ok.json).toMatchObject({ failed: [], fragments_count: 11 });
    const before = messageCount();
    expectError(await call('A2PSendSms', { src_number: '447443332211', dst_numbers: '447443332217', text: 'b'.repeat(1601) }), 101, /text.*1600/);
    expect(messageCount()).toBe(before);
  });

  it('reports a bad destination in failed[] and sends the others', async () => {
    const reply = await call('A2PSendSms', { src_number: '447443332211', dst_numbers: '447443332218; nope ;5551234', text: 'mixed' });
    expect(reply.json['result']).toEqual([{ message_id: expect.any(Number), destination_number: '447443332218' }]);
    expect(reply.json['failed']).toEqual([
      { destination_number: 'nope', error_code: 101, error_description: expect.stringContaining('phone number') },
      { destination_number: '5551234', error_code: 14, error_description: expect.stringContaining('route') },
    ]);
  });

  it('refuses a missing text or sender with the error object', async () => {
    expectError(await call('A2PSendSms', { src_number: '447443332211', dst_numbers: '447443332218' }), 101, /text/);
    expectError(await call('A2PSendSms', { dst_numbers: '447443332218', text: 'x' }), 101, /src_number/);
    expectError(await call('A2PSendSms', { src_number: 'A sender that is far too long', dst_numbers: '447443332218', text: 'x' }), 101, /src_number/);
  });
});

describe('history', () => {
  it('shows a message sent through the Ozeki API, with its delivery status, in both histories', async () => {
    const ozeki = await ozekiGet(
      env.base,
      sendSmsQuery({ Username: 'HTTP_User_1', Password: PASSWORD, Sender: '+447443332211', Recipient: '+447443339901', Message: 'sent the Ozeki way' }),
    );
    expect(ozeki.code).toBe(200);
    let row: Record<string, unknown> | undefined;
    await waitUntil(
      async () => {
        row = (await call('A2PGetSmsHistory', { destination_number: '447443339901' })).json['result'][0];
        return row?.['delivery_status'] === 'DELIVERED';
      },
      10_000,
      'delivered in A2P history',
    );
    expect(row).toMatchObject({
      source_number: '+447443332211',
      destination_number: '+447443339901',
      fragments: 1,
      status_id: '1',
      delivery_status: 'DELIVERED',
      text: 'sent the Ozeki way',
      transaction_id: row!['message_id'],
    });
    const plain = await call('GetSmsHistory', { destination_number: '+447443339901', direction: 'OUT' });
    expect(plain.json['result']).toEqual([
      expect.objectContaining({ direction: 'OUT', source_number: '+447443332211', text: 'sent the Ozeki way', status_id: '1' }),
    ]);
  });

  it('keeps the text out of history when store_body is false (the default) and shows it when true', async () => {
    const hidden = await call('SendSmsMessage', { source: '447443332211', destination: '447443339902', sms_body: 'secret' });
    const shown = await call('SendSmsMessage', { source: '447443332211', destination: '447443339902', sms_body: 'public', store_body: 'true' });
    const rows = (await call('GetSmsHistory', { destination_number: '447443339902' })).json['result'];
    expect(rows.find((r: { message_id: number }) => r.message_id === hidden.json['message_id'])).not.toHaveProperty('text');
    expect(rows.find((r: { message_id: number }) => r.message_id === shown.json['message_id'])).toHaveProperty('text', 'public');
  });

  it('maps delivery_status ids exactly as the seed lists them and filters by them', async () => {
    const sent = await call('A2PSendSms', { src_number: '447443332211', dst_numbers: '447443339903;449000000001;448000000001', text: 'fates' });
    const [delivered, undelivered, rejected] = sent.json['result'].map((r: { message_id: number }) => r.message_id) as number[];
    await waitForStatus(delivered!, 'delivered');
    await waitForStatus(undelivered!, 'failed');
    await waitForStatus(rejected!, 'failed');
    const statusOf = async (id: number) =>
      ((await call('A2PGetSmsHistory', { source_number: '447443332211' })).json['result'] as Array<Record<string, unknown>>).find(
        (r) => r['message_id'] === id,
      )!;
    expect(await statusOf(delivered!)).toMatchObject({ delivery_status: 'DELIVERED', status_id: '1' });
    expect(await statusOf(undelivered!)).toMatchObject({ delivery_status: 'FAILED', status_id: '2' });
    expect(await statusOf(rejected!)).toMatchObject({ delivery_status: 'REJECTED', status_id: '2', error_message: expect.any(String) });

    const ids = async (status: string) =>
      (await call('A2PGetSmsHistory', { delivery_status: status, from_date: '2019-03-01 00:00:00' })).json['result'] as Array<{
        message_id: number;
        delivery_status: string;
      }>;
    const deliveredRows = await ids('5');
    expect(deliveredRows.map((r) => r.message_id)).toContain(delivered);
    expect(new Set(deliveredRows.map((r) => r.delivery_status))).toEqual(new Set(['DELIVERED']));
    expect((await ids('6')).map((r) => r.message_id)).toEqual([undelivered]);
    expect((await ids('4')).map((r) => r.message_id)).toEqual([rejected]);
    expect(await ids('8')).toEqual([]);
    expectError(await call('A2PGetSmsHistory', { delivery_status: '9' }), 101, /delivery_status/);
    expectError(await call('A2PGetSmsHistory', { delivery_status: '0' }), 101, /delivery_status/);
  });

  it('answers csv with a header row, one line per message and the total in X-Total-Count', async () => {
    await call('SendSmsMessage', { source: '447443332211', destination: '447443339904', sms_body: 'comma, "quote"', store_body: 'true' });
    const reply = await call('GetSmsHistory', { destination_number: '447443339904', output: 'csv' });
    expect(reply.status).toBe(200);
    expect(reply.contentType).toMatch(/^text\/csv/);
    expect(reply.headers.get('x-total-count')).toBe('1');
    const lines = reply.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('message_id,source_number,destination_number,direction,fragments,cost,status_id,error_message,processed_date,text');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\d+,447443332211,447443339904,OUT,1,0,[13],,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,"comma, ""quote"""$/);
  });

  it('filters by from_date and to_date (UTC, whole seconds) and refuses other date formats with 111', async () => {
    const sent = await call('SendSmsMessage', { source: '447443332211', destination: '447443339905', sms_body: 'dated' });
    const at = (
      env.daemon.db
        .prepare("SELECT m.created_at AS at FROM messages m JOIN message_seq s ON s.message_id = m.id AND s.direction = 'out' WHERE s.seq = ?")
        .get(sent.json['message_id']) as { at: number }
    ).at;
    const second = new Date(at).toISOString().slice(0, 19).replace('T', ' ');
    const next = new Date(at + 1000).toISOString().slice(0, 19).replace('T', ' ');
    const found = async (range: Record<string, string>) => (await call('GetSmsHistory', { destination_number: '447443339905', ...range })).json['total_count'];
    expect(await found({ from_date: second, to_date: second })).toBe(1);
    expect(await found({ from_date: next })).toBe(0);
    expect(await found({ to_date: '2019-03-01 00:00:00' })).toBe(0);
    expectError(await call('GetSmsHistory', { from_date: '2019-03-01' }), 111, /from_date/);
    expectError(await call('GetSmsHistory', { to_date: '2019-02-30 00:00:00' }), 111, /to_date/);
    expectError(await call('GetSmsHistory', { output: 'xls' }), 105, /xls/);
    expectError(await call('GetSmsHistory', { direction: 'sideways' }), 101, /direction/);
  });

  it('returns at most 1000 rows by default and with count=1000, refuses count=1001, and pages with offset', async () => {
    // 1000 messages from a sender no other test uses; with the other tests' messages the history holds more than 1000.
    for (let batch = 0; batch < 10; batch++) {
      const dst = Array.from({ length: 100 }, (_, i) => `3670${String(batch * 100 + i).padStart(7, '0')}`).join(';');
      expect((await call('A2PSendSms', { src_number: 'BULK', dst_numbers: dst, text: 'bulk' })).json['failed']).toEqual([]);
    }
    const bulk = { source_number: 'BULK' };
    const all = await call('A2PGetSmsHistory', bulk);
    expect(all.json['total_count']).toBe(1000);
    const everything = await call('GetSmsHistory', {});
    expect(everything.json['result']).toHaveLength(1000);
    expect(everything.json['total_count']).toBeGreaterThan(1000);
    const explicit = await call('GetSmsHistory', { count: '1000' });
    expect(explicit.json['result']).toHaveLength(1000);
    expectError(await call('GetSmsHistory', { count: '1001' }), 101, /count/);
    expectError(await call('A2PGetSmsHistory', { count: '1001' }), 101, /count/);
    const rest = await call('GetSmsHistory', { offset: '1000' });
    expect(rest.json['result']).toHaveLength(everything.json['total_count'] - 1000);
    const firstIds = new Set(everything.json['result'].map((r: { message_id: number }) => r.message_id));
    expect(rest.json['result'].some((r: { message_id: number }) => firstIds.has(r.message_id))).toBe(false);
  });

  it('shows received messages on the user’s numbers, and not another user’s', async () => {
    await good.sendMo({ from: '36309990001', to: '447443332211', text: 'hello telenode' });
    const mine = await call('GetSmsHistory', { direction: 'IN' });
    expect(mine.json['result']).toContainEqual(
      expect.objectContaining({
        direction: 'IN',
        source_number: '36309990001',
        destination_number: '447443332211',
        text: 'hello telenode',
        status_id: '1',
        fragments: 1,
      }),
    );
    const theirs = await call('GetSmsHistory', {}, OTHER_KEY);
    expect(theirs.json).toEqual({ result: [], total_count: 0 });
    // A2P history is about sent messages only.
    expect((await call('A2PGetSmsHistory', { source_number: '36309990001' })).json['total_count']).toBe(0);
  });
});

describe('ControlSms', () => {
  it('a disabled number neither sends (any dialect) nor receives, and stays disabled after a restart', async () => {
    expect((await call('ControlSms', { phone_number: '447443332211', command: 'disable' })).json).toEqual({ result: 1 });
    await restart();
    const before = messageCount();
    expectError(await call('SendSmsMessage', { source: '447443332211', destination: '447443332212', sms_body: 'blocked' }), 104, /disabled/);
    expectError(await call('SendSmsMessage', { source: '+447443332211', destination: '447443332212', sms_body: 'blocked' }), 104);
    const a2p = await call('A2PSendSms', { src_number: '447443332211', dst_numbers: '447443332212', text: 'blocked' });
    expect(a2p.json).toMatchObject({ result: [], failed: [{ destination_number: '447443332212', error_code: 104 }] });
    const ozeki = await ozekiGet(
      env.base,
      sendSmsQuery({ Username: 'HTTP_User_1', Password: PASSWORD, Sender: '447443332211', Recipient: '447443332212', Message: 'blocked' }),
    );
    expect(ozeki.code).toBe(302);
    expect(ozeki.message).toBe("Missing or invalid parameter 'Sender' for command 'SendSms'");
    expect(ozeki.detail).toMatch(/disabled/);
    expect(messageCount()).toBe(before);

    const inboundBefore = count('SELECT id FROM inbound_messages');
    await good.sendMo({ from: '36309990002', to: '447443332211', text: 'nobody home' });
    await good.sendMo({ from: '36309990002', to: '12345678222', text: 'other number still receives' });
    await inbound.waitFor((r) => r.some((q) => q.form.get('Message') === 'other number still receives'));
    expect(inbound.requests.filter((q) => q.form.get('Sender') === '36309990002').map((q) => q.form.get('Message'))).toEqual(['other number still receives']);
    expect(count('SELECT id FROM inbound_messages')).toBe(inboundBefore + 1);
    expect(JSON.stringify((await call('GetSmsHistory', { direction: 'in' })).json)).not.toContain('nobody home');

    expect((await call('ControlSms', { phone_number: '+447443332211', command: 'enable' })).json).toEqual({ result: 1 });
    expect((await call('SendSmsMessage', { source: '447443332211', destination: '447443332212', sms_body: 'free again' })).json['result']).toBe(1);
  });

  it('refuses a number the user does not own (104) and bad commands (101)', async () => {
    expectError(await call('ControlSms', { phone_number: '447000000001', command: 'disable' }), 104, /not one of your numbers/);
    expectError(await call('ControlSms', { phone_number: '447443332211', command: 'pause' }), 101, /command/);
    expectError(await call('ControlSms', { command: 'disable' }), 101, /phone_number/);
    expect(env.daemon.db.prepare('SELECT sms_enabled FROM number_settings WHERE number = ?').get('447000000001')).toBeUndefined();
  });
});

describe('quota', () => {
  it('refuses what would pass the daily quota in every dialect, stores nothing, and a restart does not reset it', async () => {
    const send = (text: string) => call('SendSmsMessage', { source: '447000000002', destination: '447443330001', sms_body: text }, LIMITED_KEY);
    expect((await send('one part')).json['result']).toBe(1);
    const before = messageCount();
    expectError(await send('x'.repeat(400)), 5, /Not enough credit.*3 SMS parts per day/); // 3 parts, only 2 left
    expect(messageCount()).toBe(before);
    const a2p = await call('A2PSendSms', { src_number: '447000000002', dst_numbers: '447443330002;447443330003;447443330004', text: 'one each' }, LIMITED_KEY);
    expect(a2p.json['result']).toHaveLength(2);
    expect(a2p.json['failed']).toEqual([
      { destination_number: expect.any(String), error_code: 5, error_description: expect.stringMatching(/Not enough credit/) },
    ]);

    await restart();
    expectError(await send('one more'), 5);
    const ozeki = await ozekiGet(env.base, sendSmsQuery({ Username: 'limited', Password: PASSWORD, Recipient: '447443330005', Message: 'via Ozeki' }));
    expect(ozeki.code).toBe(306);
    expect(ozeki.message).toBe('User is not allowed to use API in ACL');
    expect(ozeki.detail).toMatch(/quota/);
    expect(count("SELECT id FROM messages WHERE user = 'limited'")).toBe(3);
    expect(env.daemon.db.prepare("SELECT parts FROM quota_usage WHERE user = 'limited' AND period LIKE 'day:%'").get()).toEqual({ parts: 3 });
  });
});
