/**
 * SSRF: a DeliveryReportURL an API client gives may not reach into the
 * node's own network. With the default egress policy a callback to loopback
 * is never sent: it becomes a dead letter at once, naming the policy, and
 * the receiver hears nothing. Opening the range (egress.allow) lets it through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet } from '../../helpers/ozeki-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';
import { hashPassword } from '../../../src/shared/password-hash.js';

const receiver = new HttpReceiver();
beforeAll(async () => {
  await receiver.start();
});
afterAll(async () => {
  await receiver.stop();
});

async function sendWithReport(base: string, reportUrl: string): Promise<string> {
  const query = new URLSearchParams({
    command: 'SendSms',
    Username: TEST_USER.username,
    Password: TEST_USER.password,
    Recipient: '+36301234567',
    Message: 'ssrf?',
    DeliveryReportURL: reportUrl,
  });
  const reply = await ozekiGet(base, query.toString());
  expect(reply.code).toBe(200);
  return reply.smsId!;
}

describe('egress policy for callbacks', () => {
  it.each([
    ['127.0.0.1', (port: number) => `http://127.0.0.1:${port}/hook`],
    ['127.1 in short form', (port: number) => `http://127.1:${port}/hook`],
    ['localhost', (port: number) => `http://localhost:${port}/hook`],
    ['a v4-mapped IPv6 address', (port: number) => `http://[::ffff:127.0.0.1]:${port}/hook`],
  ])('never calls back to loopback (%s) by default: dead letter at once, receiver untouched', async (_name, url) => {
    const env = await startDaemon({ egress: { allow: [] }, connectors: [{ id: 'lab', type: 'simulator', receiptDelayMs: 10 }] });
    try {
      const before = receiver.requests.length;
      await sendWithReport(env.base, url(receiver.port));
      await waitUntil(
        () => (env.daemon.db.prepare("SELECT COUNT(*) AS n FROM webhooks WHERE state = 'dead'").get() as { n: number }).n === 1,
        10_000,
        'the callback to become a dead letter',
      );
      const dead = env.daemon.db.prepare("SELECT attempts, last_error FROM webhooks WHERE state = 'dead'").get() as { attempts: number; last_error: string };
      expect(dead.attempts).toBe(1);
      expect(dead.last_error).toMatch(/egress policy refuses/);
      expect(receiver.requests.length).toBe(before);
    } finally {
      await env.stop();
    }
  });

  it("opens loopback for one user's callbacks (users[].egress.allow), and for nobody else's", async () => {
    const env = await startDaemon({
      egress: { allow: [] },
      users: [
        { username: TEST_USER.username, passwordHash: hashPassword(TEST_USER.password), egress: { allow: ['127.0.0.1/32'] } },
        { username: 'other', passwordHash: hashPassword('other-pw') },
      ],
      connectors: [{ id: 'lab', type: 'simulator', receiptDelayMs: 10 }],
    });
    try {
      const trusted = await sendWithReport(env.base, receiver.url('/hook-trusted'));
      await waitUntil(() => receiver.requests.some((r) => r.url.startsWith('/hook-trusted')), 10_000, "the trusted user's callback");
      const query = new URLSearchParams({
        command: 'SendSms',
        Username: 'other',
        Password: 'other-pw',
        Recipient: '+36301234567',
        Message: 'x',
        DeliveryReportURL: receiver.url('/hook-other'),
      });
      expect((await ozekiGet(env.base, query.toString())).code).toBe(200);
      await waitUntil(
        () => (env.daemon.db.prepare("SELECT COUNT(*) AS n FROM webhooks WHERE state = 'dead'").get() as { n: number }).n === 1,
        10_000,
        "the other user's callback refused",
      );
      expect(receiver.requests.some((r) => r.url.startsWith('/hook-other'))).toBe(false);
      expect(trusted).toBeTruthy();
    } finally {
      await env.stop();
    }
  });

  it('calls back to loopback when the admin opened it', async () => {
    const env = await startDaemon({ egress: { allow: ['127.0.0.1/32'] }, connectors: [{ id: 'lab', type: 'simulator', receiptDelayMs: 10 }] });
    try {
      const smsId = await sendWithReport(env.base, receiver.url('/hook'));
      await waitUntil(() => receiver.requests.some((r) => r.form.get('SmsId') === smsId || r.url.includes(smsId)), 10_000, 'the callback');
    } finally {
      await env.stop();
    }
  });
});
