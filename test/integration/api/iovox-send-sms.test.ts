/**
 * The IOVOX SMS API v3 (seed 001) over real HTTP against a running daemon
 * whose carriers are SMSC simulators over loopback SMPP, with a real
 * callback receiver for the JSON delivery receipts.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { londonTimestamp } from '../../../src/iovox/london-time.js';
import { HttpReceiver, type ReceivedRequest } from '../../helpers/http-receiver.js';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { iovoxPayload, iovoxRequest } from '../../helpers/iovox-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FIXTURES = join(process.cwd(), 'test/fixtures/iovox');

// Carriers by destination prefix: 4477 delivers (with an ENROUTE receipt first), 4470 fails on the handset,
// 4471 is refused at submit, 4472 never answers (only our expiry ends it).
const delivering = new SmscSimulator({ port: 0, receiptDelayMs: 80, intermediateStat: 'ENROUTE', log: silentLogger() });
const failing = new SmscSimulator({ port: 0, receiptDelayMs: 30, failureRate: 1, log: silentLogger() });
const rejecting = new SmscSimulator({ port: 0, rejectRate: 1, log: silentLogger() });
const silent = new SmscSimulator({ port: 0, finalReceipt: false, log: silentLogger() });
const receiver = new HttpReceiver();
let env: Awaited<ReturnType<typeof startDaemon>>;

function smpp(id: string, port: number) {
  return { id, type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', reconnect: { initialMs: 100, maxMs: 500 } };
}

function messageCount(): number {
  return (env.daemon.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
}

function stored(id: string): Record<string, unknown> {
  return env.daemon.db.prepare('SELECT * FROM messages WHERE id = ?').get(id) as Record<string, unknown>;
}

function receiptsFor(id: string): ReceivedRequest[] {
  return receiver.requests.filter((r) => r.body.includes(id));
}

async function receiptStatuses(id: string, count: number): Promise<string[]> {
  await receiver.waitFor(() => receiptsFor(id).length >= count);
  return receiptsFor(id).map((r) => (JSON.parse(r.body) as { status: string }).status);
}

beforeAll(async () => {
  const ports = await Promise.all([delivering.start(), failing.start(), rejecting.start(), silent.start()]);
  await receiver.start();
  env = await startDaemon({
    connectors: [smpp('delivering', ports[0].port), smpp('failing', ports[1].port), smpp('rejecting', ports[2].port), smpp('silent', ports[3].port)],
    routes: [
      { recipient: { prefix: '4477' }, connectors: ['delivering'] },
      { recipient: { prefix: '4470' }, connectors: ['failing'] },
      { recipient: { prefix: '4471' }, connectors: ['rejecting'] },
      { recipient: { prefix: '4472' }, connectors: ['silent'] },
      { recipient: { prefix: '44' }, connectors: ['delivering'] },
    ],
    iovox: { failoverLinks: [{ id: '123456', callFlowFile: join(FIXTURES, 'sms-read-out.xml'), callerId: '447923221231' }] },
    // The API side only: with voice off, failovers are recorded and no call is placed (test/integration/iovox places them).
    voice: { enabled: false },
    http: { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096 },
  });
  await waitUntil(() => [...env.daemon.connectors.values()].every((c) => c.isUp()), 10_000, 'binds');
});

afterAll(async () => {
  await env.stop();
  await Promise.all([delivering.stop(), failing.stop(), rejecting.stop(), silent.stop(), receiver.stop()]);
});

describe("seed 001's examples, replayed", () => {
  it('the plain payload: 201 Created with the sms_activity_id, stored before the answer', async () => {
    const payload = `<?xml version="1.0" encoding="utf-8"?>
<request>
    <origin>447923221231</origin>
    <destination>447723443321</destination>
    <message>Hello there, my name is John</message>
 </request>`;
    const reply = await iovoxRequest(env.base, payload);
    expect(reply.httpStatus).toBe(201);
    expect(reply.contentType).toMatch(/^application\/xml/);
    expect(reply.xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<response>\s*<sms_activity_id>[0-9a-f-]{36}<\/sms_activity_id>\s*<\/response>\s*$/);
    expect(reply.activityId).toMatch(UUID);
    expect(stored(reply.activityId!)).toMatchObject({
      dialect: 'iovox',
      user: 'HTTP_User_1',
      sender: '+447923221231',
      recipient: '+447723443321',
      text: 'Hello there, my name is John',
    });
    await waitUntil(() => stored(reply.activityId!)['status'] === 'delivered', 10_000, 'delivered');
  });

  it('with callback_url and callback_url_headers: ACKNOWLEDGED, BUFFERED, DELIVERED as JSON with the extra headers', async () => {
    // Verbatim except the receipt host: callbacks may only go to loopback, so it points at our receiver.
    const payload = `<?xml version="1.0" encoding="utf-8"?>
<request>
    <origin>447923221231</origin>
    <destination>447723443321</destination>
    <message>Hello there, my name is John</message>
    <callback_url>${receiver.url('/dlr')}</callback_url>
    <callback_url_headers>Content-Type: application/json,X-Custom-Header: iovox</callback_url_headers>
</request>`;
    const reply = await iovoxRequest(env.base, payload);
    expect(reply.httpStatus).toBe(201);
    const id = reply.activityId!;
    expect(await receiptStatuses(id, 3)).toEqual(['ACKNOWLEDGED', 'BUFFERED', 'DELIVERED']);
    const [ack, buffered, delivered] = receiptsFor(id).map((r) => JSON.parse(r.body) as Record<string, string>);
    expect(Object.keys(ack!)).toEqual(['sms_activity_id', 'delivery_status', 'status_reason', 'receipt_timestamp', 'status']);
    expect(ack).toMatchObject({ sms_activity_id: id, delivery_status: 'smsc submit', status_reason: '8', status: 'ACKNOWLEDGED' });
    expect(buffered).toMatchObject({ delivery_status: 'message buffered', status_reason: '4', status: 'BUFFERED' });
    expect(delivered).toMatchObject({ delivery_status: 'delivery success', status_reason: '1', status: 'DELIVERED' });
    const row = stored(id);
    expect(ack!['receipt_timestamp']).toBe(londonTimestamp(row['submitted_at'] as number));
    expect(delivered!['receipt_timestamp']).toBe(londonTimestamp(row['done_at'] as number));
    for (const request of receiptsFor(id)) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/dlr');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-custom-header']).toBe('iovox');
    }
  });

  it('with expiry and c2c_failover_link_id: the deadline and the link are stored with the message', async () => {
    const payload = `<?xml version="1.0" encoding="utf-8"?>
<request>
    <origin>447923221231</origin>
    <destination>447723443321</destination>
    <message>Hello there, my name is John</message>
    <expiry>3</expiry>
    <c2c_failover_link_id>123456</c2c_failover_link_id>
</request>`;
    const reply = await iovoxRequest(env.base, payload);
    expect(reply.httpStatus).toBe(201);
    const row = stored(reply.activityId!);
    // Three minutes from when the request arrived (a moment before the row was written).
    const deadlineAfterCreation = (row['expires_at'] as number) - (row['created_at'] as number);
    expect(deadlineAfterCreation).toBeLessThanOrEqual(3 * 60_000);
    expect(deadlineAfterCreation).toBeGreaterThan(3 * 60_000 - 1000);
    expect(JSON.parse(row['meta'] as string)).toEqual({ failoverLinkId: '123456' });
    // Delivered in time: no failover.
    await waitUntil(() => stored(reply.activityId!)['status'] === 'delivered', 10_000, 'delivered');
    expect(env.daemon.db.prepare('SELECT COUNT(*) AS n FROM sms_failovers WHERE message_id = ?').get(reply.activityId)).toEqual({ n: 0 });
  });
});

describe('endings other than DELIVERED', () => {
  const send = async (destination: string, extra: Record<string, string> = {}) => {
    const reply = await iovoxRequest(
      env.base,
      iovoxPayload({ origin: 'Acme Co.', destination, message: 'Your code is 1234', callback_url: receiver.url('/dlr'), ...extra }),
    );
    expect(reply.httpStatus, reply.xml).toBe(201);
    return reply.activityId!;
  };

  it('EXPIRED when <expiry> passes undelivered, and the failover call is recorded as pending (voice off)', async () => {
    const id = await send('447212345678', { expiry: '1', c2c_failover_link_id: '123456' });
    expect(await receiptStatuses(id, 1)).toEqual(['ACKNOWLEDGED']);
    // The minute passes: move the deadline instead of waiting for it.
    env.daemon.db.prepare('UPDATE messages SET expires_at = ? WHERE id = ?').run(Date.now() - 1, id);
    expect(await receiptStatuses(id, 2)).toEqual(['ACKNOWLEDGED', 'EXPIRED']);
    expect(JSON.parse(receiptsFor(id)[1]!.body)).toMatchObject({ delivery_status: 'delivery failure', status_reason: '2', status: 'EXPIRED' });
    expect(stored(id)).toMatchObject({ status: 'expired', error_code: 'TN_ERR_MESSAGE_EXPIRED' });
    expect(env.daemon.db.prepare('SELECT link_id, origin, destination, content, sms_status, state FROM sms_failovers WHERE message_id = ?').get(id)).toEqual({
      link_id: '123456',
      origin: 'Acme Co.',
      destination: '+447212345678',
      content: 'Your code is 1234',
      sms_status: 'expired',
      state: 'pending',
    });
  });

  it('FAILED after the SMS centre took it (handset unreachable): delivery failure, and failover', async () => {
    const id = await send('447012345678', { c2c_failover_link_id: '123456' });
    expect(await receiptStatuses(id, 2)).toEqual(['ACKNOWLEDGED', 'FAILED']);
    expect(JSON.parse(receiptsFor(id)[1]!.body)).toMatchObject({ delivery_status: 'delivery failure', status_reason: '2' });
    await waitUntil(() => env.daemon.db.prepare('SELECT 1 FROM sms_failovers WHERE message_id = ?').get(id) !== undefined, 5000, 'failover row');
  });

  it('FAILED when the SMS centre refuses it: smsc reject, never ACKNOWLEDGED; no failover without a link', async () => {
    const id = await send('447112345678');
    expect(await receiptStatuses(id, 1)).toEqual(['FAILED']);
    expect(JSON.parse(receiptsFor(id)[0]!.body)).toMatchObject({ delivery_status: 'smsc reject', status_reason: '16' });
    expect(env.daemon.db.prepare('SELECT COUNT(*) AS n FROM sms_failovers WHERE message_id = ?').get(id)).toEqual({ n: 0 });
  });
});

describe('limits at and just past the edge', () => {
  const accepted: Array<[string, Record<string, string>]> = [
    ['an 11-character alphanumeric origin', { origin: 'ABCDEFGHIJK' }],
    ['an origin with spaces and full stops', { origin: 'Acme Co.' }],
    ['a 15-digit E.164 origin', { origin: '447923221231123' }],
    ['a short-code origin', { origin: '60000' }],
    ['a 160-character message', { message: 'x'.repeat(160) }],
    ['160 emoji (characters, not UTF-16 units)', { message: '😀'.repeat(160) }],
    ['a 10080-minute expiry', { expiry: '10080' }],
  ];
  for (const [name, nodes] of accepted) {
    it(`accepts ${name}`, async () => {
      const reply = await iovoxRequest(env.base, iovoxPayload({ origin: '447923221231', destination: '447723443321', message: 'hi', ...nodes }));
      expect(reply.httpStatus, reply.xml).toBe(201);
      expect(stored(reply.activityId!)['text']).toBe(nodes['message'] ?? 'hi');
    });
  }

  it('keeps a short-code origin as written (only full E.164 numbers get a +)', async () => {
    const short = await iovoxRequest(env.base, iovoxPayload({ origin: '60000', destination: '447723443321', message: 'hi' }));
    expect(stored(short.activityId!)['sender']).toBe('60000');
  });
});

describe('every error row of seed 001: the status, the string, and nothing stored', () => {
  const base = { origin: '447923221231', destination: '447723443321', message: 'Hello there, my name is John' };
  const without = (name: keyof typeof base) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== name));
  type Case = { name: string; body?: string | Buffer; query?: string; method?: string; headers?: Record<string, string>; status: number; text: string };
  const cases: Case[] = [
    { name: 'no v', query: 'method=sendSms', status: 400, text: 'API Version Empty' },
    { name: 'empty v', query: 'v=&method=sendSms', status: 400, text: 'API Version Empty' },
    { name: 'v=2', query: 'v=2&method=sendSms', status: 400, text: 'API Version Invalid' },
    { name: 'v=abc', query: 'v=abc&method=sendSms', status: 400, text: 'API Version Invalid' },
    { name: 'GET', method: 'GET', body: undefined, status: 400, text: 'Request Method must be POST. GET attempted' },
    { name: 'PUT', method: 'PUT', status: 400, text: 'Request Method must be POST. PUT attempted' },
    { name: 'DELETE', method: 'DELETE', body: undefined, status: 400, text: 'Request Method must be POST. DELETE attempted' },
    { name: 'no body', body: undefined, status: 400, text: 'XML Empty' },
    { name: 'an empty body', body: '', status: 400, text: 'XML Empty' },
    { name: 'a blank body', body: ' \n\t ', status: 400, text: 'XML Empty' },
    {
      name: 'an unclosed request',
      body: '<request><origin>447923221231</origin>',
      status: 400,
      text: "XML parse error. Unclosed tag 'request' at line 1, column 1",
    },
    {
      name: 'a mismatched tag on line 3',
      body: '<?xml version="1.0" encoding="utf-8"?>\n<request>\n    <origin>447923221231</orign>\n</request>',
      status: 400,
      text: "XML parse error. Expected closing tag 'origin' (opened in line 3, col 5) instead of closing tag 'orign' at line 3, column 25",
    },
    { name: 'text that is not XML', body: 'origin=447923221231', status: 400, text: "XML parse error. char 'o' is not expected at line 1, column 1" },
    {
      name: 'bytes that are not UTF-8',
      body: Buffer.concat([Buffer.from('<request>\n<message>'), Buffer.from([0xc3, 0x28]), Buffer.from('</message></request>')]),
      status: 400,
      text: 'XML parse error. Invalid UTF-8 byte sequence at line 2, column 10',
    },
    { name: 'an empty <request/>', body: '<request/>', status: 400, text: 'Request Empty' },
    { name: 'a <request> holding only whitespace', body: '<?xml version="1.0"?>\n<request>\n  \n</request>', status: 400, text: 'Request Empty' },
    { name: 'another root element', body: '<sms><origin>447923221231</origin></sms>', status: 400, text: 'Request Empty' },
    { name: 'no origin', body: iovoxPayload(without('origin')), status: 400, text: 'Origin Empty' },
    { name: 'an empty origin', body: iovoxPayload({ ...base, origin: '' }), status: 400, text: 'Origin Empty' },
    { name: 'an origin with +', body: iovoxPayload({ ...base, origin: '+447923221231' }), status: 400, text: 'Origin Invalid: +447923221231' },
    { name: 'an origin with 00', body: iovoxPayload({ ...base, origin: '00447923221231' }), status: 400, text: 'Origin Invalid: 00447923221231' },
    { name: 'a national-format origin', body: iovoxPayload({ ...base, origin: '07923221231' }), status: 400, text: 'Origin Invalid: 07923221231' },
    { name: 'a 16-digit origin', body: iovoxPayload({ ...base, origin: '4479232212311234' }), status: 400, text: 'Origin Invalid: 4479232212311234' },
    { name: 'a 12-character alphanumeric origin', body: iovoxPayload({ ...base, origin: 'ABCDEFGHIJKL' }), status: 400, text: 'Origin Invalid: ABCDEFGHIJKL' },
    { name: 'an origin with a special character', body: iovoxPayload({ ...base, origin: 'Acme-Co' }), status: 400, text: 'Origin Invalid: Acme-Co' },
    { name: 'no destination', body: iovoxPayload(without('destination')), status: 400, text: 'Destination Empty' },
    { name: 'a destination with +', body: iovoxPayload({ ...base, destination: '+447723443321' }), status: 400, text: 'Destination Invalid: +447723443321' },
    { name: 'a destination that is not a number', body: iovoxPayload({ ...base, destination: 'John' }), status: 400, text: 'Destination Invalid: John' },
    {
      name: 'a destination no route reaches',
      body: iovoxPayload({ ...base, destination: '4915112345678' }),
      status: 400,
      text: 'Destination Invalid: 4915112345678',
    },
    { name: 'no message', body: iovoxPayload(without('message')), status: 400, text: 'Message Empty' },
    { name: 'a blank message', body: iovoxPayload({ ...base, message: '   ' }), status: 400, text: 'Message Empty' },
    {
      name: 'a 161-character message',
      body: iovoxPayload({ ...base, message: 'x'.repeat(161) }),
      status: 400,
      text: 'Message must be less than 160 characters long',
    },
    {
      name: 'a callback_url that is not http',
      body: iovoxPayload({ ...base, callback_url: 'ftp://example.test/dlr' }),
      status: 400,
      text: 'Callback URL Invalid: ftp://example.test/dlr',
    },
    {
      name: 'XML the parser refuses after validation (a parameter entity): 400, not 500',
      body: '<!DOCTYPE request [<!ENTITY % p SYSTEM "http://127.0.0.1/x.dtd">%p;]>\n<request><destination>447700900000</destination></request>',
      status: 400,
      text: 'XML parse error. Invalid entity name % at line 1, column 1',
    },
    {
      name: 'XML nested deeper than the parser allows: 400, not 500',
      body: `<request>${'<a>'.repeat(120)}${'</a>'.repeat(120)}</request>`,
      status: 400,
      text: 'XML parse error. Maximum nested tags exceeded at line 1, column 307',
    },
    {
      name: 'a header name with a space',
      body: iovoxPayload({ ...base, callback_url_headers: 'X Custom: 1' }),
      status: 400,
      text: 'Callback URL Headers Invalid: X Custom: 1',
    },
    {
      name: 'a Host header (steers our request)',
      body: iovoxPayload({ ...base, callback_url_headers: 'X-Ok: 1,Host: intranet.local' }),
      status: 400,
      text: 'Callback URL Headers Invalid: X-Ok: 1,Host: intranet.local',
    },
    {
      name: 'a Transfer-Encoding header (breaks the callback)',
      body: iovoxPayload({ ...base, callback_url_headers: 'Transfer-Encoding: chunked' }),
      status: 400,
      text: 'Callback URL Headers Invalid: Transfer-Encoding: chunked',
    },
    {
      name: 'an Authorization header',
      body: iovoxPayload({ ...base, callback_url_headers: 'Authorization: Basic dTpw' }),
      status: 400,
      text: 'Callback URL Headers Invalid: Authorization: Basic dTpw',
    },
    { name: 'an expiry of 0', body: iovoxPayload({ ...base, expiry: '0' }), status: 400, text: 'Expiry Invalid: 0' },
    { name: 'an expiry past a week', body: iovoxPayload({ ...base, expiry: '10081' }), status: 400, text: 'Expiry Invalid: 10081' },
    { name: 'an unknown failover link', body: iovoxPayload({ ...base, c2c_failover_link_id: '999' }), status: 400, text: 'C2C Failover Link ID Invalid: 999' },
    { name: 'no method', query: 'v=3', status: 400, text: 'Method Empty' },
    { name: 'a broken %-escape in the query', query: 'v=3&method=sendSms&x=%E0%A4%A', status: 400, text: 'Query String Invalid' },
    { name: 'an unknown method', query: 'v=3&method=getSms', status: 400, text: 'Method Invalid: getSms' },
    { name: 'no credentials', headers: { username: '', secureKey: '' }, status: 401, text: 'HTTP 401: Unauthorized' },
    { name: 'a wrong secure key', headers: { secureKey: 'nope' }, status: 401, text: 'HTTP 401: Unauthorized' },
    { name: 'an unknown user', headers: { username: 'ghost' }, status: 401, text: 'HTTP 401: Unauthorized' },
    { name: 'a body over http.bodyLimitBytes', body: iovoxPayload({ ...base, message: 'x'.repeat(5000) }), status: 413, text: 'Request Entity Too Large' },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.text}`, async () => {
      const before = messageCount();
      const body = 'body' in c ? c.body : iovoxPayload(base);
      const reply = await iovoxRequest(env.base, body, { query: c.query, method: c.method, headers: c.headers });
      expect(reply.httpStatus).toBe(c.status);
      expect(reply.contentType).toMatch(/^application\/xml/);
      expect(reply.xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<errors>/);
      expect(reply.error).toEqual({ status: String(c.status), text: c.text });
      expect(messageCount()).toBe(before);
    });
  }

  it('500 Internal Server Error when the store fails, and nothing half-stored', async () => {
    env.daemon.db.exec("CREATE TEMP TRIGGER iovox_test_fail BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    try {
      const before = messageCount();
      const reply = await iovoxRequest(env.base, iovoxPayload(base));
      expect(reply.httpStatus).toBe(500);
      expect(reply.error).toEqual({ status: '500', text: 'Internal Server Error' });
      expect(reply.xml).not.toContain('disk on fire');
      expect(messageCount()).toBe(before);
    } finally {
      env.daemon.db.exec('DROP TRIGGER iovox_test_fail');
    }
  });
});
