/**
 * The address book over HTTP: /contacts (JSON, HTTP Basic) and Ozeki's
 * ListAddressbookContacts / ListAddressbookNames read the same contacts;
 * bad input is refused and changes nothing. And a message sent through one
 * dialect is in the same store and history as one sent through the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { MessageRepo } from '../../../src/store/message-repo.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet } from '../../helpers/ozeki-client.js';
import { iovoxPayload, iovoxRequest } from '../../helpers/iovox-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';

let env: Awaited<ReturnType<typeof startDaemon>>;
const basic = `Basic ${Buffer.from(`${TEST_USER.username}:${TEST_USER.password}`).toString('base64')}`;

async function api(method: string, path: string, body?: unknown, authorization: string | null = basic) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization) headers['authorization'] = authorization;
  const response = await fetch(`${env.base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

function contactCount(): number {
  return (env.daemon.db.prepare('SELECT COUNT(*) AS n FROM contacts').get() as { n: number }).n;
}

beforeAll(async () => {
  env = await startDaemon({ connectors: [{ id: 'lab', type: 'simulator', receiptDelayMs: 10 }] });
});
afterAll(async () => env.stop());

describe('/contacts', () => {
  it('refuses what a foreign web page can send: text/plain or form bodies, and requests from another origin (CSRF)', async () => {
    const before = contactCount();
    const post = (headers: Record<string, string>) =>
      fetch(`${env.base}/contacts`, {
        method: 'POST',
        headers: { authorization: basic, ...headers },
        body: JSON.stringify({ displayName: 'Mallory', phoneNumbers: ['+15550000'] }),
      });
    const textPlain = await post({ 'content-type': 'text/plain' });
    expect(textPlain.status).toBe(415);
    expect(await textPlain.json()).toMatchObject({ error: { code: 'TN_ERR_REQUEST_MEDIA_TYPE' } });
    expect((await post({ 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    const foreign = await post({ 'content-type': 'application/json', origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: { code: 'TN_ERR_REQUEST_FORBIDDEN_ORIGIN' } });
    expect((await post({ 'content-type': 'application/json', origin: 'null' })).status).toBe(403);
    expect(contactCount()).toBe(before);
    // the node's own origin (its console, later) is fine
    const own = await post({ 'content-type': 'application/json', origin: env.base });
    expect(own.status).toBe(201);
    await api('DELETE', `/contacts/${((await own.json()) as { id: string }).id}`);
  });

  it('creates, reads, lists by name, replaces and deletes', async () => {
    const created = await api('POST', '/contacts', {
      displayName: 'Bob',
      phoneNumbers: ['+44 7400 000000'],
      primaryEmails: ['bob@example.test'],
      secondaryEmails: ['bob@work.test'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: '1',
      displayName: 'Bob',
      phoneNumbers: ['+44 7400 000000'],
      primaryEmails: ['bob@example.test'],
      secondaryEmails: ['bob@work.test'],
    });
    const second = await api('POST', '/contacts', { id: 'crm-77', displayName: 'bob', phoneNumbers: ['447400000001'] });
    expect(second.status).toBe(201);
    const third = await api('POST', '/contacts', { displayName: 'Alice' });
    expect(third.body!['id']).toBe('2');

    expect((await api('GET', '/contacts/crm-77')).body).toMatchObject({ id: 'crm-77', displayName: 'bob' });
    const byName = await api('GET', '/contacts?name=BOB');
    expect((byName.body!['contacts'] as Array<{ id: string }>).map((c) => c.id)).toEqual(['1', 'crm-77']);

    const replaced = await api('PUT', '/contacts/1', { displayName: 'Robert', phoneNumbers: ['447400000000'] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: '1', displayName: 'Robert', primaryEmails: [] });
    expect((await env.daemon.extras.contacts.get('1'))?.displayName).toBe('Robert');

    expect((await api('DELETE', '/contacts/crm-77')).status).toBe(204);
    expect((await api('GET', '/contacts/crm-77')).status).toBe(404);
  });

  const refusals: Array<{ name: string; method: string; path: string; body?: unknown; auth?: string | null; status: number; code: string }> = [
    { name: 'no credentials', method: 'POST', path: '/contacts', body: { displayName: 'X' }, auth: null, status: 401, code: 'TN_ERR_AUTH_REQUIRED' },
    {
      name: 'a wrong password',
      method: 'POST',
      path: '/contacts',
      body: { displayName: 'X' },
      auth: `Basic ${Buffer.from('HTTP_User_1:nope').toString('base64')}`,
      status: 401,
      code: 'TN_ERR_AUTH_REQUIRED',
    },
    { name: 'no display name', method: 'POST', path: '/contacts', body: { phoneNumbers: ['447400000000'] }, status: 400, code: 'TN_ERR_CONTACT_INVALID' },
    {
      name: 'a bad phone number',
      method: 'POST',
      path: '/contacts',
      body: { displayName: 'X', phoneNumbers: ['call me'] },
      status: 400,
      code: 'TN_ERR_CONTACT_INVALID',
    },
    {
      name: 'a bad e-mail address',
      method: 'POST',
      path: '/contacts',
      body: { displayName: 'X', primaryEmails: ['nope'] },
      status: 400,
      code: 'TN_ERR_CONTACT_INVALID',
    },
    {
      name: 'an unknown field',
      method: 'POST',
      path: '/contacts',
      body: { displayName: 'X', email: 'x@example.test' },
      status: 400,
      code: 'TN_ERR_CONTACT_INVALID',
    },
    { name: 'a body that is not JSON', method: 'POST', path: '/contacts', body: '{displayName:', status: 400, code: 'TN_ERR_REQUEST_PARSE' },
    { name: 'an id that exists', method: 'POST', path: '/contacts', body: { id: '1', displayName: 'X' }, status: 409, code: 'TN_ERR_CONTACT_EXISTS' },
    { name: 'replacing an unknown contact', method: 'PUT', path: '/contacts/404', body: { displayName: 'X' }, status: 404, code: 'TN_ERR_CONTACT_NOT_FOUND' },
    { name: 'deleting an unknown contact', method: 'DELETE', path: '/contacts/404', status: 404, code: 'TN_ERR_CONTACT_NOT_FOUND' },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name} (${r.status}) and changes nothing`, async () => {
      const before = JSON.stringify(await env.daemon.extras.contacts.list());
      const reply = await api(r.method, r.path, r.body, r.auth === undefined ? basic : r.auth);
      expect(reply.status).toBe(r.status);
      expect((reply.body!['error'] as { code: string }).code).toBe(r.code);
      expect(JSON.stringify(await env.daemon.extras.contacts.list())).toBe(before);
    });
  }

  it('counts what the refusals left: nothing', async () => {
    expect(contactCount()).toBe((await env.daemon.extras.contacts.list()).length);
  });
});

describe("Ozeki's address book commands read the same contacts", () => {
  const parser = new XMLParser({
    parseTagValue: false,
    isArray: (name, jpath) => ['Contact', 'PhoneNumber', 'Email'].includes(name) || String(jpath).endsWith('Names.Name'),
  });
  const auth = `Username=${TEST_USER.username}&Password=${TEST_USER.password}`;

  it('ListAddressbookContacts lists every contact, or those of one name', async () => {
    await env.daemon.extras.contacts.add({ id: 'oz-1', displayName: 'Ozzy', phoneNumbers: ['+36301234567'], primaryEmails: ['ozzy@example.test'] });
    const reply = await ozekiGet(env.base, `command=ListAddressbookContacts&${auth}&Name=ozzy`);
    expect(reply.code).toBe(200);
    expect(reply.root).toBe('OzApi_CommandResult_ListAddressbookContacts');
    const doc = parser.parse(reply.xml) as Record<string, { TotalRecords: string; Contacts: { Contact: Array<Record<string, unknown>> } }>;
    const result = doc['OzApi_CommandResult_ListAddressbookContacts']!;
    expect(result.TotalRecords).toBe('1');
    expect(result.Contacts.Contact).toEqual([
      { Id: 'oz-1', Name: 'Ozzy', PhoneNumbers: { PhoneNumber: ['+36301234567'] }, PrimaryEmails: { Email: ['ozzy@example.test'] }, SecondaryEmails: '' },
    ]);

    const all = await ozekiGet(env.base, `command=ListAddressbookContacts&${auth}`);
    expect((parser.parse(all.xml) as Record<string, { TotalRecords: string }>)['OzApi_CommandResult_ListAddressbookContacts']!.TotalRecords).toBe(
      String((await env.daemon.extras.contacts.list()).length),
    );
  });

  it('ListAddressbookNames lists distinct names, sorted', async () => {
    const reply = await ozekiGet(env.base, `command=ListAddressbookNames&${auth}`);
    const doc = parser.parse(reply.xml) as Record<string, { Names: { Name: string[] } }>;
    const expected = [...new Set((await env.daemon.extras.contacts.list()).map((c) => c.displayName))].sort((a, b) => a.localeCompare(b));
    expect(doc['OzApi_CommandResult_ListAddressbookNames']!.Names.Name).toEqual(expected);
  });

  it('needs authentication like every Ozeki command', async () => {
    expect((await ozekiGet(env.base, 'command=ListAddressbookNames')).code).toBe(304);
  });
});

describe('one store behind both dialects', () => {
  it('an SMS sent through IOVOX and one through Ozeki share the history and the state machine', async () => {
    const viaIovox = await iovoxRequest(env.base, iovoxPayload({ origin: 'ACME', destination: '447723443321', message: 'from iovox' }));
    expect(viaIovox.httpStatus).toBe(201);
    const viaOzeki = await ozekiGet(
      env.base,
      `command=SendSms&Username=${TEST_USER.username}&Password=${TEST_USER.password}&Recipient=%2B447723443321&Message=from+ozeki`,
    );
    expect(viaOzeki.code).toBe(200);
    const repo = new MessageRepo(env.daemon.sql);
    await waitUntil(
      async () => (await Promise.all([viaIovox.activityId!, viaOzeki.smsId!].map((id) => repo.get(id)))).every((m) => m?.status === 'delivered'),
      5000,
      'both delivered',
    );
    const history = await repo.history({ recipient: '+447723443321', limit: 10, offset: 0 });
    expect(history.rows.map((m) => [m.dialect, m.text, m.status])).toEqual([
      ['iovox', 'from iovox', 'delivered'],
      ['ozeki', 'from ozeki', 'delivered'],
    ]);
  });
});
