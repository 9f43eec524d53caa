/**
 * The console's endpoints as a script or an attacker meets them (issue 21): who gets in, what a page of another
 * origin can do, what the answers carry, and the CSV export. The browser side is test/integration/console/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';

const OPERATOR = { username: 'operator', password: 'console-pass-1' };
const basic = (user: { username: string; password: string }) => `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;

describe('the console API', () => {
  let d: Awaited<ReturnType<typeof startDaemon>>;

  beforeAll(async () => {
    d = await startDaemon({
      users: [
        { username: OPERATOR.username, passwordHash: hashPassword(OPERATOR.password), admin: true },
        { username: TEST_USER.username, passwordHash: hashPassword(TEST_USER.password) },
      ],
      http: { host: '127.0.0.1', port: 0, loginLimits: { maxFailuresPerSource: 3, maxFailuresPerUser: 50, windowSeconds: 60, lockoutSeconds: 60 } },
    });
  });
  afterAll(async () => d?.stop());

  async function login(): Promise<{ cookie: string; csrfToken: string }> {
    const response = await fetch(`${d.base}/admin/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(OPERATOR),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
    return { cookie, csrfToken: ((await response.json()) as { csrfToken: string }).csrfToken };
  }

  it('answers 401 without credentials, 403 to an API user without the admin role, 200 to an admin over HTTP Basic', async () => {
    const anonymous = await fetch(`${d.base}/admin/api/overview`);
    expect([anonymous.status, ((await anonymous.json()) as { error: { code: string } }).error.code]).toEqual([401, 'TN_ERR_AUTH_REQUIRED']);
    const apiUser = await fetch(`${d.base}/admin/api/overview`, { headers: { authorization: basic(TEST_USER) } });
    expect([apiUser.status, ((await apiUser.json()) as { error: { code: string } }).error.code]).toEqual([403, 'TN_ERR_AUTH_FORBIDDEN']);
    const admin = await fetch(`${d.base}/admin/api/overview`, { headers: { authorization: basic(OPERATOR) } });
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as { connectors: { id: string }[] }).connectors.map((c) => c.id)).toEqual(['simulator']);
  });

  it('serves the page with a content security policy that allows no inline script and no framing', async () => {
    const page = await fetch(`${d.base}/admin`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${d.base}/admin/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });

  it('refuses a change made with the session cookie but without its CSRF token, or from a page of another origin', async () => {
    const { cookie, csrfToken } = await login();
    const send = (headers: Record<string, string>) =>
      fetch(`${d.base}/admin/api/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, ...headers },
        body: JSON.stringify({ recipient: '+36301112222', text: 'hello' }),
      });
    const noToken = await send({});
    expect([noToken.status, ((await noToken.json()) as { error: { code: string } }).error.code]).toEqual([403, 'TN_ERR_REQUEST_CSRF']);
    expect((await send({ 'x-csrf-token': 'guess' })).status).toBe(403);
    expect((await send({ 'x-csrf-token': csrfToken, origin: 'http://evil.example' })).status).toBe(403);
    const sent = await send({ 'x-csrf-token': csrfToken });
    expect(sent.status).toBe(201);
    const { id } = (await sent.json()) as { id: string };
    // Nothing but the one accepted message is stored.
    expect((await d.daemon.sql.all<{ id: string }>("SELECT id FROM messages WHERE recipient = '+36301112222'")).map((r) => r.id)).toEqual([id]);
    // Reading needs no token (a GET changes nothing).
    expect((await fetch(`${d.base}/admin/api/messages/${id}`, { headers: { cookie } })).status).toBe(200);
  });

  it('ends a live channel when its session ends at log-out', async () => {
    const { cookie, csrfToken } = await login();
    const live = await fetch(`${d.base}/admin/api/live`, { headers: { cookie } });
    expect(live.headers.get('content-type')).toContain('text/event-stream');
    const reader = live.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    while (!received.includes('event: overview')) received += decoder.decode((await reader.read()).value);
    const out = await fetch(`${d.base}/admin/api/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
    expect(out.status).toBe(204);
    // The stream closes by itself (within the next overview tick), instead of feeding a logged-out page.
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
    }
  });

  it('exports messages as CSV, a text that a spreadsheet would run as a formula quoted as text', async () => {
    const { cookie, csrfToken } = await login();
    const send = (text: string) =>
      fetch(`${d.base}/admin/api/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify({ recipient: '+36309990000', text }),
      });
    expect((await send('=HYPERLINK("http://evil.example","click")')).status).toBe(201);
    expect((await send('plain, with "quotes"')).status).toBe(201);
    const csv = await fetch(`${d.base}/admin/api/messages.csv?recipient=%2B36309990000`, { headers: { authorization: basic(OPERATOR) } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines, lines.join('\n')).toHaveLength(3);
    expect(lines[0]).toBe('id,created,user,dialect,sender,recipient,status,connector,error,carrier_status,done,text');
    expect(
      lines.some((l) => l.endsWith(`"'=HYPERLINK(""http://evil.example"",""click"")"`)),
      lines.join('\n'),
    ).toBe(true);
    expect(lines.some((l) => l.endsWith('"plain, with ""quotes"""'))).toBe(true);
    // A phone number is no formula: it stays as it is.
    expect(lines.slice(1).every((l) => l.includes(',+36309990000,'))).toBe(true);
  });

  it('serves recordings by name only: a path, an unknown name and a user without the role get nothing', async () => {
    const dir = join(d.dir, 'recordings');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'call-1-1796200000000.wav'), Buffer.alloc(44 + 16000));
    const get = (path: string, user = OPERATOR) => fetch(`${d.base}/admin/api/recordings${path}`, { headers: { authorization: basic(user) } });
    const list = (await (await get('')).json()) as { recordings: { name: string; callId: string }[] };
    expect(list.recordings.map((r) => [r.name, r.callId])).toEqual([['call-1-1796200000000.wav', 'call-1']]);
    const file = await get('/call-1-1796200000000.wav');
    expect([file.status, file.headers.get('content-type'), (await file.arrayBuffer()).byteLength]).toEqual([200, 'audio/wav', 16044]);
    for (const path of ['/..%2Ftelenode.db', '/..%2F..%2Fetc%2Fpasswd', '/call-2-1796200000000.wav', '/%2Fetc%2Fpasswd']) {
      const refused = await get(path);
      expect([path, refused.status]).toEqual([path, 404]);
    }
    expect((await get('/call-1-1796200000000.wav', TEST_USER)).status).toBe(403);
  });

  it('answers bad search input with a clear error in telenode’s JSON form', async () => {
    const bad = await fetch(`${d.base}/admin/api/messages?status=lost`, { headers: { authorization: basic(OPERATOR) } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'TN_ERR_REQUEST_INVALID' });
    const farOff = await fetch(`${d.base}/admin/api/messages?from=99999999999999999999`, { headers: { authorization: basic(OPERATOR) } });
    expect([farOff.status, ((await farOff.json()) as { error: { message: string } }).error.message]).toEqual([
      400,
      'from must be an ISO 8601 time or epoch milliseconds',
    ]);
    const missing = await fetch(`${d.base}/admin/api/messages/no-such-id`, { headers: { authorization: basic(OPERATOR) } });
    expect([missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([404, 'TN_ERR_MESSAGE_NOT_FOUND']);
  });

  it('locks out a source that keeps guessing the console password', async () => {
    const attempt = () =>
      fetch(`${d.base}/admin/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
        body: JSON.stringify({ username: OPERATOR.username, password: 'guess' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt()).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    // Locked out means refused before the password is checked: even the right one.
    const right = await fetch(`${d.base}/admin/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OPERATOR) });
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).toBe('60');
  });
});
