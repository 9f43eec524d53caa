/**
 * Password guessing over real HTTP: once an address has failed too often,
 * every dialect refuses it in its own error form (before checking any
 * password), /metrics counts it, and the lock-out ends by itself.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, parseOzekiXml, type OzekiReply } from '../../helpers/ozeki-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';

let env: Awaited<ReturnType<typeof startDaemon>>;
const LOCKOUT_SECONDS = 2;

beforeAll(async () => {
  env = await startDaemon({
    http: { host: '127.0.0.1', port: 0, loginLimits: { maxFailuresPerSource: 3, maxFailuresPerUser: 100, windowSeconds: 60, lockoutSeconds: LOCKOUT_SECONDS } },
  });
});
afterAll(async () => {
  await env?.stop();
});

const ozeki = (password: string) =>
  ozekiGet(
    env.base,
    new URLSearchParams({ command: 'SendSms', Username: TEST_USER.username, Password: password, Recipient: '+36201111111', MessageData: 'hi' }).toString(),
  );

describe('log-in limits', () => {
  it('locks the address out after three wrong passwords, in every dialect, and lets it in again afterwards', async () => {
    for (let i = 0; i < 3; i++) expect((await ozeki(`guess${i}`)).code).toBe(305);

    const right = await ozeki(TEST_USER.password);
    expect(right.code).toBe(305);
    expect(right.message).toBe('Authentication failed, bad username or password');
    expect(right.detail).toMatch(/^too many failed log-ins; try again in \d+ s$/);

    const iovox = await fetch(`${env.base}/SMS?v=3&method=sendSms`, {
      method: 'POST',
      headers: { username: TEST_USER.username, securekey: TEST_USER.password },
    });
    expect(iovox.status).toBe(429);
    expect(await iovox.text()).toContain('Too Many Failed Authentication Attempts');

    const acrobits = await fetch(`${env.base}/acrobits/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: TEST_USER.username, password: TEST_USER.password, sms_to: '+15550001', sms_body: 'x' }),
    });
    expect(acrobits.status).toBe(429);

    const voximplant = (await (await fetch(`${env.base}/platform_api/SendSmsMessage?api_key=whatever`)).json()) as { error: { code: number; msg: string } };
    expect(voximplant.error.msg).toMatch(/too many failed log-ins/);

    const contacts = await fetch(`${env.base}/contacts`, {
      headers: { authorization: `Basic ${Buffer.from(`${TEST_USER.username}:${TEST_USER.password}`).toString('base64')}` },
    });
    expect(contacts.status).toBe(429);

    const metrics = await (await fetch(`${env.base}/metrics`)).text();
    expect(metrics).toMatch(/telenode_auth_lockouts_total\{scope="source"\} 1/);
    expect(metrics).toMatch(/telenode_auth_failures_total 3/);

    await waitUntil(async () => (await ozeki(TEST_USER.password)).code !== 305, (LOCKOUT_SECONDS + 5) * 1000, 'the lock-out to end');
  });
});

describe('log-in limits behind a trusted proxy (http.trustedProxies)', () => {
  let proxied: Awaited<ReturnType<typeof startDaemon>>;
  beforeAll(async () => {
    proxied = await startDaemon({
      http: {
        host: '127.0.0.1',
        port: 0,
        trustedProxies: ['127.0.0.1'],
        loginLimits: { maxFailuresPerSource: 3, maxFailuresPerUser: 100, windowSeconds: 60, lockoutSeconds: 300 },
      },
    });
  });
  afterAll(async () => {
    await proxied?.stop();
  });

  /** An Ozeki SendSms from `localAddress` (a proxy on 127.0.0.1, or a client on 127.0.0.2), naming `forwardedFor`. */
  const sendSms = (password: string, localAddress: string, forwardedFor?: string) =>
    new Promise<OzekiReply>((resolve, reject) => {
      const query = new URLSearchParams({ command: 'SendSms', Username: TEST_USER.username, Password: password, Recipient: '+36201111111', MessageData: 'hi' });
      const req = request(
        `${proxied.base}/api?${query.toString()}`,
        { localAddress, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(parseOzekiXml(body, res.statusCode)));
        },
      );
      req.on('error', reject);
      req.end();
    });

  it("counts the client the proxy names, so one guesser behind it locks out only itself, not the proxy's other clients", async () => {
    for (let i = 0; i < 3; i++) expect((await sendSms(`guess${i}`, '127.0.0.1', '198.51.100.7')).code).toBe(305);
    expect((await sendSms(TEST_USER.password, '127.0.0.1', '198.51.100.7')).detail).toMatch(/^too many failed log-ins/);
    expect((await sendSms(TEST_USER.password, '127.0.0.1', '198.51.100.8')).code).not.toBe(305);
    expect((await sendSms(TEST_USER.password, '127.0.0.1')).code).not.toBe(305);
  });

  it('ignores X-Forwarded-For from anyone else: a client cannot name a new address for each guess', async () => {
    for (let i = 0; i < 3; i++) expect((await sendSms(`guess${i}`, '127.0.0.2', `203.0.113.${i}`)).code).toBe(305);
    expect((await sendSms(TEST_USER.password, '127.0.0.2', '203.0.113.99')).detail).toMatch(/^too many failed log-ins/);
    // A proxy that passes on what such a client wrote names the address it saw last (the client's), not the forgery.
    for (let i = 0; i < 3; i++) expect((await sendSms(`guess${i}`, '127.0.0.1', `203.0.113.${i}, 198.51.100.20`)).code).toBe(305);
    expect((await sendSms(TEST_USER.password, '127.0.0.1', '203.0.113.50, 198.51.100.20')).detail).toMatch(/^too many failed log-ins/);
  });
});
