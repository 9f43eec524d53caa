/**
 * Password guessing over real HTTP: once an address has failed too often,
 * every dialect refuses it in its own error form (before checking any
 * password), /metrics counts it, and the lock-out ends by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet } from '../../helpers/ozeki-client.js';
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
