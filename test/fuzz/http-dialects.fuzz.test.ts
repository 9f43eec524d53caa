/**
 * Every dialect's HTTP input, fuzzed against a running daemon: mutated
 * queries, forms, XML and JSON bodies, content types and methods, with valid
 * credentials so the requests reach the commands. Each answer must be the
 * dialect's own (its content type, never a 500), and the node must still
 * answer a clean request afterwards. FUZZ_SCALE runs more, FUZZ_SEED repeats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../../src/shared/api-key.js';
import { hashPassword } from '../../src/shared/password-hash.js';
import { TEST_USER, startDaemon } from '../helpers/in-process-daemon.js';
import { Dice, damageBytes, seededRandom } from './dice.js';

const SCALE = Number(process.env['FUZZ_SCALE'] ?? 1);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
const PER_DIALECT = 1500 * SCALE;
const API_KEY = generateApiKey();

const HOSTILE = [
  '',
  ' ',
  '0',
  '-1',
  '1e309',
  'NaN',
  'true',
  'null',
  '[]',
  '{}',
  '%',
  '%zz',
  '%00',
  '\u0000',
  '\r\n',
  '<',
  '&',
  '"',
  "'",
  '+',
  '+36301234567',
  '0036301234567',
  'é€𝄞',
  '\ud800',
  'A'.repeat(3000),
  '../../etc/passwd',
  'http://127.0.0.1:1/x',
  'ftp://x',
  'javascript:alert(1)',
  '<![CDATA[x]]>',
  '<!DOCTYPE x [<!ENTITY a "b">]>',
  '2026-13-45T99:99:99Z',
  '9'.repeat(40),
];

type Dialect = { name: string; contentType: RegExp; request: (dice: Dice) => { path: string; init: RequestInit } };

function hostile(dice: Dice): string {
  return dice.chance(0.8) ? dice.pick(HOSTILE) : damageBytes(Buffer.from(dice.pick(HOSTILE) || 'x'), dice).toString('latin1');
}

function mutateParams(base: Record<string, string>, dice: Dice): URLSearchParams {
  const params = new URLSearchParams(base);
  for (let i = 0; i < 1 + dice.int(4); i++) {
    const keys = [...params.keys()];
    switch (dice.int(4)) {
      case 0:
        if (keys.length) params.set(dice.pick(keys), hostile(dice));
        break;
      case 1:
        if (keys.length) params.delete(dice.pick(keys));
        break;
      case 2:
        if (keys.length) params.append(dice.pick(keys), hostile(dice));
        break;
      default:
        params.set(dice.pick(['X', 'command', 'Command', 'method', 'cmd', 'api_key', 'Limit', 'Folder', 'from', 'to']), hostile(dice));
    }
  }
  return params;
}

function rawQuery(params: URLSearchParams, dice: Dice): string {
  const query = params.toString();
  // sometimes a broken %-escape or a raw byte the URL encoder would never write
  return dice.chance(0.1) ? query.replace(/%[0-9A-F]{2}/, dice.pick(['%', '%g1', '%C3%28', '%FF'])) : query;
}

/** encodeURIComponent, or the raw escape a broken client would send for a lone surrogate. */
function encodeOr(value: string, fallback: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return fallback;
  }
}

/**
 * `value` as one path segment of a request `fetch` will send. A segment `.` or `..` (encodeURIComponent keeps dots) is
 * resolved away by the URL parser before anything is sent (WHATWG URL, "single-dot" and "double-dot" path segments):
 * `/contacts/..` went out as `/`, which Ozeki's API answers in XML, and the case looked like a contacts answer in the
 * wrong format. Such a segment gets a letter after it, so the request stays on the route under test.
 */
function pathSegment(value: string): string {
  const segment = encodeOr(value, '%ED%A0%80');
  return segment === '.' || segment === '..' ? `${segment}x` : segment;
}

function body(dice: Dice, text: string): RequestInit['body'] {
  return dice.chance(0.2) ? new Uint8Array(damageBytes(Buffer.from(text), dice)) : text;
}

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/json',
  'application/xml',
  'text/xml',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '',
];

const basic = `Basic ${Buffer.from(`${TEST_USER.username}:${TEST_USER.password}`).toString('base64')}`;

const DIALECTS: Dialect[] = [
  {
    name: 'Ozeki',
    contentType: /xml/,
    request: (dice) => {
      const params = mutateParams(
        {
          command: dice.pick(['SendSms', 'sendsms', 'ListCallHistory', 'ListActiveCalls', 'Call', 'Hangup', 'ListAddressbookContacts', 'ListAddressbookNames']),
          Username: TEST_USER.username,
          Password: TEST_USER.password,
          Recipient: '+36301234567',
          Message: 'fuzz',
          Sender: '+36300000000',
        },
        dice,
      );
      if (dice.chance(0.5)) return { path: `/api?${rawQuery(params, dice)}`, init: {} };
      return { path: '/api', init: { method: 'POST', headers: { 'content-type': dice.pick(CONTENT_TYPES) }, body: body(dice, params.toString()) } };
    },
  },
  {
    name: 'IOVOX',
    contentType: /xml/,
    request: (dice) => {
      const nodes = mutateParams(
        { destination: '447700900000', origin: 'telenode', message: 'fuzz', callback_url: 'http://127.0.0.1:1/cb', expiry: '60' },
        dice,
      );
      const inner = [...nodes]
        .map(([k, v]) => (dice.chance(0.9) ? `<${k}>${v.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</${k}>` : `<${k}>${v}</${k}>`))
        .join('');
      const xml = dice.chance(0.1) ? hostile(dice) : `<?xml version="1.0"?><request>${inner}</request>`;
      return {
        path: `/SMS?${rawQuery(mutateParams({ v: '3', method: 'sendSms' }, dice), dice)}`,
        init: {
          method: dice.chance(0.95) ? 'POST' : 'PUT',
          headers: { 'content-type': 'application/xml', username: TEST_USER.username, securekey: TEST_USER.password },
          body: body(dice, xml),
        },
      };
    },
  },
  {
    name: 'Voximplant',
    contentType: /json|csv/,
    request: (dice) => {
      const method = dice.pick(['SendSmsMessage', 'A2PSendSms', 'ControlSms', 'GetSmsHistory', 'A2PGetSmsHistory', 'Nope']);
      const params = mutateParams(
        {
          api_key: API_KEY,
          account_id: '1001',
          source: '447443332211',
          destination: '447700900001',
          sms_body: 'fuzz',
          command: 'enable',
          phone_number: '447443332211',
          count: '10',
          offset: '0',
          output: 'json',
        },
        dice,
      );
      if (dice.chance(0.5)) return { path: `/platform_api/${method}?${rawQuery(params, dice)}`, init: {} };
      return {
        path: `/platform_api/${method}`,
        init: { method: 'POST', headers: { 'content-type': dice.pick(CONTENT_TYPES) }, body: body(dice, params.toString()) },
      };
    },
  },
  {
    name: 'Acrobits',
    contentType: /json|text\/plain|xml/,
    request: (dice) => {
      const path = dice.pick(['/acrobits/send', '/acrobits/fetch']);
      const params = mutateParams(
        { from: TEST_USER.username, password: TEST_USER.password, sms_to: '+15550001111', sms_body: 'fuzz', last_known_sms_id: '' },
        dice,
      );
      const asJson = dice.chance(0.5);
      const text = asJson ? JSON.stringify(Object.fromEntries(params)) : params.toString();
      return {
        path,
        init: {
          method: 'POST',
          headers: { 'content-type': asJson ? 'application/json' : dice.pick(CONTENT_TYPES) },
          body: body(dice, dice.chance(0.1) ? hostile(dice) : text),
        },
      };
    },
  },
  {
    name: 'contacts',
    contentType: /json/,
    request: (dice) => {
      const fields = mutateParams({ displayName: 'Fuzz', phoneNumbers: '+447700900000', primaryEmails: 'a@b.test' }, dice);
      const object: Record<string, unknown> = Object.fromEntries(fields);
      if (dice.chance(0.5)) object['phoneNumbers'] = dice.chance(0.5) ? [hostile(dice)] : hostile(dice);
      const method = dice.pick(['POST', 'PUT', 'GET', 'DELETE']);
      const id = dice.chance(0.5) ? '1' : hostile(dice);
      const path = method === 'POST' ? '/contacts' : `/contacts/${pathSegment(id)}`;
      return {
        path,
        init: {
          method,
          headers: { authorization: basic, 'content-type': dice.chance(0.9) ? 'application/json' : dice.pick(CONTENT_TYPES) },
          body: method === 'GET' || method === 'DELETE' ? undefined : body(dice, JSON.stringify(object)),
        },
      };
    },
  },
];

let env: Awaited<ReturnType<typeof startDaemon>>;
beforeAll(async () => {
  env = await startDaemon({
    users: [
      {
        username: TEST_USER.username,
        passwordHash: hashPassword(TEST_USER.password),
        apiKeyHashes: [hashApiKey(API_KEY)],
        numbers: ['447443332211', '+15550001111'],
      },
    ],
    connectors: [{ id: 'lab', type: 'simulator', receiptDelayMs: 10 }],
    http: {
      host: '127.0.0.1',
      port: 0,
      bodyLimitBytes: 16 * 1024,
      loginLimits: { maxFailuresPerSource: 1_000_000, maxFailuresPerUser: 1_000_000, windowSeconds: 1, lockoutSeconds: 1 },
    },
  });
});
afterAll(async () => {
  await env?.stop();
});

describe(`HTTP dialect fuzz (seed ${SEED})`, () => {
  it.each(DIALECTS.map((d, i) => [d.name, i] as const))('%s: every mutated request gets the dialect’s own answer, never a 500', async (_name, index) => {
    const dialect = DIALECTS[index]!;
    const dice = new Dice(seededRandom(SEED + index));
    for (let i = 0; i < PER_DIALECT; i++) {
      const { path, init } = dialect.request(dice);
      let response: Response;
      try {
        response = await fetch(`${env.base}${path}`, init);
      } catch (err) {
        // fetch itself refuses some hostile inputs (a header value with a NUL): nothing reached the node
        if (err instanceof TypeError) continue;
        throw err;
      }
      const text = await response.text();
      const where = `${dialect.name} case ${i} (seed ${SEED + index}): ${init.method ?? 'GET'} ${path.slice(0, 300)}`;
      expect(response.status, `${where}\n${text.slice(0, 500)}`).toBeLessThan(500);
      if (text.length > 0 && response.status !== 404) expect(response.headers.get('content-type') ?? '', where).toMatch(dialect.contentType);
    }
    const health = await fetch(`${env.base}/health`);
    expect(health.status).toBe(200);
  });
});
