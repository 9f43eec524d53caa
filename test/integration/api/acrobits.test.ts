/**
 * The Acrobits softphone SMS web services (seed 004) over real HTTP against a
 * running daemon that sends through `telenode smsc-sim` over loopback SMPP and
 * receives MO messages from it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { generateApiKey, hashApiKey } from '../../../src/shared/api-key.js';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { voxGet } from '../../helpers/voximplant-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const JOHN = { username: 'johndow', password: '12345678', number: '+15550001111' };
const JANE = { username: 'jane', password: 'secret-jane', number: '+15550002222' };
const JOHN_KEY = generateApiKey();

const smsc = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
let env: Awaited<ReturnType<typeof startDaemon>>;

interface Answer {
  status: number;
  contentType: string;
  contentLength: string | null;
  text: string;
}

async function request(path: string, init?: RequestInit): Promise<Answer> {
  const response = await fetch(`${env.base}${path}`, init);
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    contentLength: response.headers.get('content-length'),
    text: await response.text(),
  };
}

function postJson(path: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  return request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

function postForm(path: string, fields: Record<string, string>): Promise<Answer> {
  return request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
}

function fetchQuery(user: { username: string; password: string }, extra: Record<string, string> = {}): string {
  return `/acrobits/fetch?${new URLSearchParams({ from: user.username, password: user.password, ...extra }).toString()}`;
}

function messageCount(): number {
  return (env.daemon.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
}

function expectMessage(answer: Answer, status: number, message: string | RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toMatch(/^application\/json/);
  const body = JSON.parse(answer.text) as { message: string };
  expect(Object.keys(body)).toEqual(['message']);
  if (typeof message === 'string') expect(body.message).toBe(message);
  else expect(body.message).toMatch(message);
}

interface Fetched {
  date: string;
  unread_smss: Array<{ sms_id: string; sending_date: string; sender: string; sms_text: string; content_type: string }>;
  sent_smss: Array<{ sms_id: string; sending_date: string; recipient: string; sms_text: string; content_type: string }>;
}

async function fetched(path: string, init?: RequestInit): Promise<Fetched> {
  const answer = await request(path, init);
  expect(answer.status, answer.text).toBe(200);
  expect(answer.contentType).toMatch(/^application\/json/);
  return JSON.parse(answer.text) as Fetched;
}

beforeAll(async () => {
  const { port } = await smsc.start();
  env = await startDaemon({
    users: [
      // Two parts a day: enough for the seed's two successful requests, then "Not enough credit".
      {
        username: JOHN.username,
        passwordHash: hashPassword(JOHN.password),
        numbers: [JOHN.number],
        apiKeyHashes: [hashApiKey(JOHN_KEY)],
        quota: { partsPerDay: 2 },
      },
      { username: JANE.username, passwordHash: hashPassword(JANE.password), numbers: [JANE.number] },
    ],
    connectors: [{ id: 'smsc', type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', reconnect: { initialMs: 100, maxMs: 500 } }],
    acrobits: { fetchLimit: 3 },
  });
  await waitUntil(() => [...env.daemon.connectors.values()].every((c) => c.isUp()), 10_000, 'bind');
});

afterAll(async () => {
  await env.stop();
  await smsc.stop();
});

describe('seed 004 Send Message examples', () => {
  it('GET method: success response is 200 with an empty body, and the message goes out from the account’s number', async () => {
    const answer = await request('/acrobits/send?from=johndow&password=12345678&sms_to=%2B15551231234&sms_body=Hello%20World', {
      headers: { 'user-agent': 'CloudSoftphone/1.5.6', 'cache-control': 'max-age=0' },
    });
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('');
    const row = env.daemon.db.prepare("SELECT sender, recipient, text, dialect, user FROM messages WHERE dialect = 'acrobits'").get();
    expect(row).toEqual({ sender: JOHN.number, recipient: '+15551231234', text: 'Hello World', dialect: 'acrobits', user: 'johndow' });
    await waitUntil(() => smsc.received.some((m) => m.destination === '15551231234' && m.text === 'Hello World'), 10_000, 'the SMSC got it');
  });

  it('POST method, JSON: the seed’s body verbatim, "+1(555)123-1234" normalised', async () => {
    const before = messageCount();
    const body =
      '\n{\n    "from"        : "johndow",\n    "password"    : "12345678",\n    "sms_to"      : "+1(555)123-1234",\n    "sms_body"    : "Hello World"\n}';
    const answer = await postJson('/acrobits/send/', body, { 'user-agent': 'CloudSoftphone/1.5.6' });
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('');
    expect(messageCount()).toBe(before + 1);
    const row = env.daemon.db
      .prepare(
        "SELECT m.recipient FROM messages m JOIN message_seq s ON s.direction = 'out' AND s.message_id = m.id WHERE m.dialect = 'acrobits' ORDER BY s.seq DESC LIMIT 1",
      )
      .get();
    expect(row).toEqual({ recipient: '+15551231234' });
  });

  it('GET method error response: "Not enough credit" when the quota is spent (JSON, or the seed’s XML when asked for), nothing stored', async () => {
    const before = messageCount();
    const seedRequest = '/acrobits/send?from=johndow&password=12345678&sms_to=%2B15551231234&sms_body=Hello%20World';
    expectMessage(await request(seedRequest), 402, 'Not enough credit');
    const xml = await request(seedRequest, { headers: { accept: 'text/xml' } });
    expect(xml.status).toBe(402);
    expect(xml.contentType).toMatch(/^text\/xml/);
    expect(xml.text).toBe('<response><message>Not enough credit</message></response>');
    expect(messageCount()).toBe(before);
  });

  it('POST method, JSON, error response: 406 "Invalid recipient", nothing stored', async () => {
    const before = messageCount();
    for (const recipient of ['johndoe', '+1(555)12x-1234', '', '12', 'sip:alice@example.com']) {
      const body = JSON.stringify({ from: JANE.username, password: JANE.password, sms_to: recipient, sms_body: 'Hello World' });
      expectMessage(await postJson('/acrobits/send', body), 406, 'Invalid recipient');
    }
    expect(messageCount()).toBe(before);
  });
});

describe('Send Message', () => {
  it('takes the genericSmsPostData form example and a SIP address as recipient', async () => {
    const form = await postForm('/acrobits/send', { from: JANE.username, password: JANE.password, sms_to: '+1 555 123 9999', sms_body: 'form ✓' });
    expect(form.status).toBe(200);
    const sip = await postForm('/acrobits/send', { from: JANE.username, password: JANE.password, sms_to: 'sip:+15551238888@sip.example.com', sms_body: 'sip' });
    expect(sip.status).toBe(200);
    const rows = env.daemon.db
      .prepare(
        "SELECT m.sender, m.recipient, m.text FROM messages m JOIN message_seq s ON s.direction = 'out' AND s.message_id = m.id WHERE m.user = 'jane' ORDER BY s.seq",
      )
      .all();
    expect(rows).toEqual([
      { sender: JANE.number, recipient: '+15551239999', text: 'form ✓' },
      { sender: JANE.number, recipient: '+15551238888', text: 'sip' },
    ]);
  });

  it('refuses wrong or missing credentials with 401, storing nothing', async () => {
    const before = messageCount();
    expectMessage(await request('/acrobits/send?from=jane&password=wrong&sms_to=%2B15551231234&sms_body=x'), 401, /wrong username or password/i);
    expectMessage(await request('/acrobits/send?from=nobody&password=x&sms_to=%2B15551231234&sms_body=x'), 401, /wrong username or password/i);
    expectMessage(await request('/acrobits/send?sms_to=%2B15551231234&sms_body=x'), 401, /required/);
    expect(messageCount()).toBe(before);
  });

  it('refuses bad bodies in its own format (400/413), storing nothing', async () => {
    const before = messageCount();
    const auth = { from: JANE.username, password: JANE.password };
    expectMessage(await postJson('/acrobits/send', JSON.stringify({ ...auth, sms_to: '+15551231234', sms_body: '' })), 400, /empty/);
    expectMessage(await postJson('/acrobits/send', '{"from": "jane", '), 400, /malformed JSON/);
    expectMessage(await postJson('/acrobits/send', '["jane"]'), 400, /object/);
    expectMessage(await postJson('/acrobits/send', JSON.stringify({ ...auth, sms_to: { nested: 1 }, sms_body: 'x' })), 400, /sms_to/);
    expectMessage(await request('/acrobits/send', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }), 400, /Content-Type/);
    expectMessage(await postForm('/acrobits/send', { ...auth, sms_to: '+15551231234', sms_body: 'x'.repeat(1600) }), 413, /too long/);
    expect(messageCount()).toBe(before);
  });

  it('takes the seed’s three from/password/to/body templates out of the box, and names acrobits.params configures', async () => {
    const other = await startDaemon({
      users: [{ username: JANE.username, passwordHash: hashPassword(JANE.password), numbers: [JANE.number] }],
      acrobits: { params: { recipient: 'dest', body: 'content' } },
    });
    try {
      const password = encodeURIComponent(JANE.password);
      // genericSmsSendUrl: …/send_message/?from=%account[username]%&password=%account[password]%&to=%sms_to%&body=%sms_body%
      expect((await fetch(`${other.base}/acrobits/send/?from=jane&password=${password}&to=%2B15551231234&body=url`)).status).toBe(200);
      // genericSmsPostData, application/x-www-form-urlencoded
      const form = await fetch(`${other.base}/acrobits/send/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `from=jane&password=${password}&to=%2B15551231235&body=form`,
      });
      expect(form.status).toBe(200);
      // genericSmsPostData, application/json
      const json = await fetch(`${other.base}/acrobits/send/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{ "from" : "jane", "password" : ${JSON.stringify(JANE.password)}, "to" : "+15551231236", "body" : "json" }`,
      });
      expect(json.status).toBe(200);
      expect(
        other.daemon.db
          .prepare("SELECT m.recipient, m.text FROM messages m JOIN message_seq s ON s.direction = 'out' AND s.message_id = m.id ORDER BY s.seq")
          .all(),
      ).toEqual([
        { recipient: '+15551231234', text: 'url' },
        { recipient: '+15551231235', text: 'form' },
        { recipient: '+15551231236', text: 'json' },
      ]);
      // A name of the operator's own choosing works too.
      const custom = await fetch(`${other.base}/acrobits/send?from=jane&password=${password}&dest=%2B15551231237&content=custom`);
      expect(custom.status).toBe(200);
      expect(other.daemon.db.prepare("SELECT text FROM messages WHERE recipient = '+15551231237'").all()).toEqual([{ text: 'custom' }]);
    } finally {
      await other.stop();
    }
  });
});

describe('Fetch Messages', () => {
  it('returns SMS received on the account’s number in the app’s JSON, and only what came after last_known_sms_id', async () => {
    await smsc.sendMo({ from: '15557654321', to: '15550002222', text: 'Hi Jane' });
    const first = await fetched(fetchQuery(JANE));
    expect(first.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(first.unread_smss).toEqual([
      {
        sms_id: expect.stringMatching(/^\d+$/),
        sending_date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        sender: '15557654321',
        sms_text: 'Hi Jane',
        content_type: 'text/plain',
      },
    ]);
    const lastId = first.unread_smss[0]!.sms_id;
    expect((await fetched(fetchQuery(JANE, { last_known_sms_id: lastId }))).unread_smss).toEqual([]);

    await smsc.sendMo({ from: '15557654321', to: '+15550002222', text: 'Ещё одно 😀' });
    const next = await fetched(fetchQuery(JANE, { last_known_sms_id: lastId }));
    expect(next.unread_smss.map((m) => m.sms_text)).toEqual(['Ещё одно 😀']);
    expect(Number(next.unread_smss[0]!.sms_id)).toBeGreaterThan(Number(lastId));

    // Another account sees none of it.
    expect((await fetched(fetchQuery(JOHN))).unread_smss.map((m) => m.sms_text)).not.toContain('Hi Jane');
  });

  it('hands out at most acrobits.fetchLimit per call: the newest without an id, then oldest first after one', async () => {
    const texts = ['m1', 'm2', 'm3', 'm4', 'm5'];
    for (const text of texts) await smsc.sendMo({ from: '15550009999', to: '15550001111', text });
    const newest = await fetched(fetchQuery(JOHN));
    expect(newest.unread_smss.map((m) => m.sms_text)).toEqual(['m3', 'm4', 'm5']);
    const ids = newest.unread_smss.map((m) => Number(m.sms_id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    const all = await fetched(fetchQuery(JOHN, { last_known_sms_id: '0' }));
    expect(all.unread_smss.map((m) => m.sms_text)).toEqual(['m1', 'm2', 'm3']);
    const rest = await fetched(fetchQuery(JOHN, { last_known_sms_id: all.unread_smss[2]!.sms_id }));
    expect(rest.unread_smss.map((m) => m.sms_text)).toEqual(['m4', 'm5']);
  });

  it('returns what the account sent (sent_smss, any device or dialect), only what came after last_known_sent_sms_id', async () => {
    const password = encodeURIComponent(JANE.password);
    expect((await fetch(`${env.base}/acrobits/send?from=jane&password=${password}&sms_to=%2B15557000001&sms_body=from+phone+one`)).status).toBe(200);
    const first = await fetched(fetchQuery(JANE));
    const mine = first.sent_smss.filter((m) => m.recipient === '+15557000001');
    expect(mine).toEqual([
      {
        sms_id: expect.stringMatching(/^\d+$/),
        sending_date: expect.stringMatching(/Z$/),
        recipient: '+15557000001',
        sms_text: 'from phone one',
        content_type: 'text/plain',
      },
    ]);
    const lastSent = first.sent_smss.at(-1)!.sms_id;
    expect((await fetched(fetchQuery(JANE, { last_known_sent_sms_id: lastSent }))).sent_smss).toEqual([]);
    expect((await fetch(`${env.base}/acrobits/send?from=jane&password=${password}&sms_to=%2B15557000002&sms_body=from+phone+two`)).status).toBe(200);
    const next = await fetched(fetchQuery(JANE, { last_known_sent_sms_id: lastSent }));
    expect(next.sent_smss.map((m) => [m.recipient, m.sms_text])).toEqual([['+15557000002', 'from phone two']]);
    // John never sees Jane's sent messages.
    expect((await fetched(fetchQuery(JOHN))).sent_smss.map((m) => m.sms_text)).not.toContain('from phone one');
  });

  it('answers in XML when the app asks for XML, every text escaped', async () => {
    await smsc.sendMo({ from: '15557654321', to: '15550002222', text: 'a <b> & "c"' });
    const answer = await request(fetchQuery(JANE), { headers: { accept: 'text/xml' } });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/xml/);
    expect(answer.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<response><date>[^<]+<\/date><unread_smss><sms><sms_id>\d+<\/sms_id>/);
    expect(answer.text).toContain('<sms_text>a &lt;b&gt; &amp; "c"</sms_text>');
    expect(answer.text).toContain('<sent_smss>');
  });

  it('takes POST JSON, and refuses bad credentials or a bad last_known_sms_id in its own format', async () => {
    const body = JSON.stringify({ from: JANE.username, password: JANE.password, last_known_sms_id: '' });
    const posted = await fetched('/acrobits/fetch', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(posted.unread_smss.length).toBeGreaterThan(0);
    expectMessage(await request(fetchQuery({ username: 'jane', password: 'nope' })), 401, /wrong username or password/i);
    expectMessage(await request(fetchQuery(JANE, { last_known_sms_id: 'abc' })), 400, /last_known_sms_id/);
  });
});

describe('across dialects', () => {
  it('a number switched off with Voximplant ControlSms can neither send nor receive through Acrobits', async () => {
    const control = await voxGet(env.base, 'ControlSms', { api_key: JOHN_KEY, phone_number: JOHN.number, command: 'disable' });
    expect(control.json).toEqual({ result: 1 });
    try {
      const before = messageCount();
      // John's quota is spent, but the switched-off number is refused first, whatever the quota says.
      expectMessage(await request(`/acrobits/send?from=johndow&password=12345678&sms_to=%2B15551231234&sms_body=x`), 403, /disabled/);
      expect(messageCount()).toBe(before);
      const newestBefore = (await fetched(fetchQuery(JOHN))).unread_smss.at(-1)!.sms_id;
      await smsc.sendMo({ from: '15550009999', to: '15550001111', text: 'while off' });
      expect((await fetched(fetchQuery(JOHN, { last_known_sms_id: newestBefore }))).unread_smss).toEqual([]);
    } finally {
      await voxGet(env.base, 'ControlSms', { api_key: JOHN_KEY, phone_number: JOHN.number, command: 'enable' });
    }
  });
});
