/**
 * Ozeki's SendEmail command over real HTTP, delivered by telenode to a real
 * SMTP server on loopback; refused (303) where no SMTP server is configured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet } from '../../helpers/ozeki-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const auth = { Username: TEST_USER.username, Password: TEST_USER.password };

describe('Ozeki SendEmail', () => {
  const smtp = new SmtpReceiver();
  let env: Awaited<ReturnType<typeof startDaemon>>;
  let without: Awaited<ReturnType<typeof startDaemon>>;

  beforeAll(async () => {
    await smtp.start();
    env = await startDaemon({ email: { smtp: { host: '127.0.0.1', port: smtp.port, timeoutMs: 2000 }, from: 'pbx@example.test', fromName: 'Front desk' } });
    without = await startDaemon();
  });
  afterAll(async () => {
    await env?.stop();
    await without?.stop();
    await smtp.stop();
  });

  it('stores the e-mail, answers 200, and delivers it to every recipient with the configured sender', async () => {
    const reply = await ozekiGet(
      env.base,
      new URLSearchParams({
        command: 'SendEmail',
        ...auth,
        Recipient: 'a@example.test; b@example.test',
        Subject: 'Missed call',
        Message: 'Call back +3630111',
      }).toString(),
    );
    expect([reply.code, reply.root]).toEqual([200, 'OzApi_CommandResult_SendEmail']);
    await waitUntil(() => smtp.mails.some((m) => m.raw.includes('Call back +3630111')), 15_000, 'the mail at the SMTP server');
    const mail = smtp.mails.find((m) => m.raw.includes('Call back +3630111'))!;
    expect(mail.to.sort()).toEqual(['a@example.test', 'b@example.test']);
    expect(mail.from).toBe('pbx@example.test');
    expect(mail.raw).toMatch(/^Subject: Missed call\r?$/m);
  });

  it('takes the Sender given, and refuses a bad Recipient or Sender with 302, storing nothing', async () => {
    const count = () => (env.daemon.db.prepare('SELECT COUNT(*) AS n FROM emails').get() as { n: number }).n;
    const before = count();
    const bad = await ozekiGet(env.base, new URLSearchParams({ command: 'SendEmail', ...auth, Recipient: 'not-an-address', Message: 'x' }).toString());
    expect([bad.code, bad.message]).toEqual([302, "Missing or invalid parameter 'Recipient' for command 'SendEmail'"]);
    const badSender = await ozekiGet(
      env.base,
      new URLSearchParams({ command: 'SendEmail', ...auth, Recipient: 'a@example.test', Sender: 'nobody', Message: 'x' }).toString(),
    );
    expect(badSender.code).toBe(302);
    expect(count()).toBe(before);
    const ok = await ozekiGet(
      env.base,
      new URLSearchParams({
        command: 'SendEmail',
        ...auth,
        Recipient: 'c@example.test',
        Sender: 'ops@example.test',
        Subject: 's',
        Message: 'from ops',
      }).toString(),
    );
    expect(ok.code).toBe(200);
    await waitUntil(() => smtp.mails.some((m) => m.raw.includes('from ops')), 15_000, 'the second mail');
    expect(smtp.mails.find((m) => m.raw.includes('from ops'))!.from).toBe('ops@example.test');
  });

  it('answers 303 where no SMTP server is configured', async () => {
    const reply = await ozekiGet(without.base, new URLSearchParams({ command: 'SendEmail', ...auth, Recipient: 'a@example.test', Message: 'x' }).toString());
    expect([reply.code, reply.message]).toEqual([303, "Command 'SendEmail' cannot be used here"]);
    expect(reply.detail).toMatch(/email\.smtp/);
  });
});
