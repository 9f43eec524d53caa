/**
 * The Ozeki SendSms API over real HTTP against a running daemon, with the
 * in-process simulator connector as the carrier and a real callback receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, ozekiPost, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const auth = { Username: TEST_USER.username, Password: TEST_USER.password };

let env: Awaited<ReturnType<typeof startDaemon>>;
const receiver = new HttpReceiver();

function status(id: string): string | undefined {
  return (env.daemon.db.prepare('SELECT status FROM messages WHERE id = ?').get(id) as { status: string } | undefined)?.status;
}

function messageCount(): number {
  return (env.daemon.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
}

beforeAll(async () => {
  await receiver.start();
  env = await startDaemon({
    connectors: [{ id: 'lab', type: 'simulator', receiptDelayMs: 20 }],
    routes: [{ recipient: { prefix: ['+06', '+36'] }, connectors: ['lab'] }],
    sms: { maxParts: 3 },
    http: { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096 },
  });
});

afterAll(async () => {
  await env.stop();
  await receiver.stop();
});

describe('Ozeki SendSms', () => {
  it("answers seed 002's example request with the documented XML and stores the message first", async () => {
    const query =
      `command=SendSms&Username=HTTP_User_1&Password=qwe123&Sender=%2b0615546669&Recipient=%2b0615546670` +
      `&Message=Hello+world&DeliveryReportURL=${encodeURIComponent(receiver.url('/smsdelivered.php'))}`;
    const reply = await ozekiGet(env.base, query);
    expect(reply.httpStatus).toBe(200);
    expect(reply.contentType).toMatch(/xml/);
    expect(reply.root).toBe('OzApi_CommandResult_SendSms');
    expect(reply.xml).toContain('xmlns:xsd="http://www.w3.org/2001/XMLSchema"');
    expect(reply.xml).toContain('xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"');
    expect(reply.code).toBe(200);
    expect(reply.message).toBe('Command successfully executed');
    expect(reply.smsId).toMatch(GUID);
    // Durably stored before the answer: the row is there the moment we have the id.
    const row = env.daemon.db.prepare('SELECT sender, recipient, text FROM messages WHERE id = ?').get(reply.smsId);
    expect(row).toEqual({ sender: '+0615546669', recipient: '+0615546670', text: 'Hello world' });

    await receiver.waitFor((r) => r.some((q) => q.form.get('SmsId') === reply.smsId));
    const report = receiver.requests.find((q) => q.form.get('SmsId') === reply.smsId)!;
    expect(report.method).toBe('POST');
    expect(report.url).toBe('/smsdelivered.php');
    expect(report.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(report.body.startsWith('NotificationName=SMSDeliveryReport&')).toBe(true);
    expect(Object.fromEntries(report.form)).toMatchObject({
      Sender: '+0615546669',
      Recipient: '+0615546670',
      Status: 'delivered',
      DeliveryStatus: 'delivered',
      Delivered: 'true',
      CarrierStatus: 'DELIVRD',
      Connector: 'lab',
    });
  });

  it('accepts the older /?command= form, POST bodies, any case of names and the DelivaryReportURL spelling', async () => {
    const body = new URLSearchParams({
      COMMAND: 'sendsms',
      username: TEST_USER.username,
      PASSWORD: TEST_USER.password,
      recipient: '+36301234567',
      message: 'árvíztűrő tükörfúrógép €',
      DelivaryReportURL: receiver.url('/typo?app=1'),
    }).toString();
    const reply = await ozekiPost(env.base, body, '/');
    expect(reply.code).toBe(200);
    await receiver.waitFor((r) => r.some((q) => q.form.get('SmsId') === reply.smsId));
    const report = receiver.requests.find((q) => q.form.get('SmsId') === reply.smsId)!;
    // The callback URL's own query string survives.
    expect(report.url).toBe('/typo?app=1');
    const stored = env.daemon.db.prepare('SELECT text, encoding, sender FROM messages WHERE id = ?').get(reply.smsId);
    expect(stored).toEqual({ text: 'árvíztűrő tükörfúrógép €', encoding: 'ucs2', sender: 'telenode' });
  });

  it('sends no callback when no DeliveryReportURL was given', async () => {
    const reply = await ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: '+36301234567', Message: 'no report' }));
    expect(reply.code).toBe(200);
    // A callback is stored in the commit that records the status it reports: once the message is delivered,
    // a callback would exist. None does, and none reached the receiver.
    await waitUntil(() => status(reply.smsId!) === 'delivered', 10_000, 'the message delivered');
    expect(env.daemon.db.prepare('SELECT COUNT(*) AS n FROM webhooks WHERE order_key = ?').get(reply.smsId)).toEqual({ n: 0 });
    expect(receiver.requests.some((q) => q.form.get('SmsId') === reply.smsId)).toBe(false);
  });
});

describe('Ozeki SendSms bad input: the right code, nothing stored', () => {
  const cases: Array<{ name: string; query: string; code: number; message?: RegExp; detail?: RegExp }> = [
    {
      name: 'unknown command',
      query: new URLSearchParams({ command: 'SendFax', ...auth }).toString(),
      code: 301,
      message: /Not implemented command: 'SendFax'/,
    },
    { name: 'no command at all', query: new URLSearchParams(auth).toString(), code: 301 },
    { name: 'missing credentials', query: sendSmsQuery({ Recipient: '+36301234567', Message: 'x' }), code: 304, message: /^Authentication required$/ },
    {
      name: 'wrong password',
      query: sendSmsQuery({ Username: TEST_USER.username, Password: 'nope', Recipient: '+36301234567', Message: 'x' }),
      code: 305,
      message: /bad username or password/,
    },
    { name: 'unknown user', query: sendSmsQuery({ Username: 'ghost', Password: 'qwe123', Recipient: '+36301234567', Message: 'x' }), code: 305 },
    { name: 'missing Recipient', query: sendSmsQuery({ ...auth, Message: 'x' }), code: 302, message: /parameter 'Recipient' for command 'SendSms'/ },
    { name: 'invalid Recipient', query: sendSmsQuery({ ...auth, Recipient: 'call-me', Message: 'x' }), code: 302, message: /'Recipient'/ },
    { name: 'missing Message', query: sendSmsQuery({ ...auth, Recipient: '+36301234567' }), code: 302, message: /'Message'/ },
    {
      name: 'sender too long',
      query: sendSmsQuery({ ...auth, Recipient: '+36301234567', Sender: 'ALONGSENDERNAME', Message: 'x' }),
      code: 302,
      message: /'Sender'/,
    },
    {
      name: 'bad DeliveryReportURL',
      query: sendSmsQuery({ ...auth, Recipient: '+36301234567', Message: 'x', DeliveryReportURL: 'ftp://x/y' }),
      code: 302,
      message: /'DeliveryReportURL'/,
    },
    {
      name: 'message longer than maxParts',
      query: sendSmsQuery({ ...auth, Recipient: '+36301234567', Message: 'x'.repeat(153 * 3 + 1) }),
      code: 302,
      // Ozeki's template exactly, naming Ozeki's parameter; the reason in <Detail>.
      message: /^Missing or invalid parameter 'Message' for command 'SendSms'$/,
      detail: /4 parts; at most 3/,
    },
    {
      name: 'invalid UTF-8 in the query',
      query: `command=SendSms&Username=HTTP_User_1&Password=qwe123&Recipient=%2b36301234567&Message=%C3%28`,
      code: 300,
      message: /Error occured during parsing message/,
    },
    {
      name: 'no route for the recipient',
      query: sendSmsQuery({ ...auth, Recipient: '+491701234567', Message: 'x' }),
      code: 501,
      message: /^Destination of the SMS is not found$/,
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.code}`, async () => {
      const before = messageCount();
      const reply = await ozekiGet(env.base, c.query);
      expect(reply.httpStatus).toBe(200);
      expect(reply.code).toBe(c.code);
      if (c.message) expect(reply.message).toMatch(c.message);
      if (c.detail) expect(reply.detail).toMatch(c.detail);
      expect(reply.smsId).toBeUndefined();
      expect(messageCount()).toBe(before);
    });
  }

  it('invalid UTF-8 bytes in a POST body → 300', async () => {
    const before = messageCount();
    const body = Buffer.concat([
      Buffer.from('command=SendSms&Username=HTTP_User_1&Password=qwe123&Recipient=%2b36301234567&Message='),
      Buffer.from([0xc3, 0x28]),
    ]);
    const reply = await ozekiPost(env.base, body);
    expect(reply.code).toBe(300);
    expect(messageCount()).toBe(before);
  });

  it('a body over the size limit → 300 in Ozeki XML, and the daemon keeps serving', async () => {
    const before = messageCount();
    const reply = await ozekiPost(env.base, sendSmsQuery({ ...auth, Recipient: '+36301234567', Message: 'y'.repeat(8000) }));
    expect(reply.httpStatus).toBe(200);
    expect(reply.code).toBe(300);
    expect(messageCount()).toBe(before);
    const ok = await ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: '+36301234567', Message: 'still here' }));
    expect(ok.code).toBe(200);
  });

  it('a malformed request line is refused without harming the server', async () => {
    const response = await fetch(`${env.base}/api?command=SendSms&Message=%`);
    expect(response.status).toBe(200);
    const ok = await ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: '+36301234567', Message: 'after garbage' }));
    expect(ok.code).toBe(200);
  });
});

describe('operations endpoints', () => {
  it('/health reports the connectors and the outbox', async () => {
    const response = await fetch(`${env.base}/health`);
    expect(response.status).toBe(200);
    const health = (await response.json()) as { status: string; connectors: Array<{ id: string; up: boolean }> };
    expect(health.status).toBe('ok');
    expect(health.connectors).toEqual([expect.objectContaining({ id: 'lab', up: true })]);
  });

  it('/metrics counts accepted messages in Prometheus format', async () => {
    const text = await (await fetch(`${env.base}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('telenode_sms_accepted_total{dialect="ozeki"}'));
    expect(Number(line?.split(' ')[1])).toBeGreaterThanOrEqual(3);
    expect(text).toContain('telenode_webhook_deliveries_total');
  });
});

describe('Ozeki SendSms while telenode shuts down', () => {
  it('answers HTTP 503 with Ozeki XML (so clients retry) and stores nothing', async () => {
    const own = await startDaemon({ connectors: [{ id: 'lab', type: 'simulator' }] });
    try {
      await own.daemon.outbox.stop(0);
      const response = await fetch(`${own.base}/api?${sendSmsQuery({ ...auth, Recipient: '+36301234567', Message: 'too late' })}`);
      expect(response.status).toBe(503);
      // The command keeps its root; the reason stays in our log, the client learns to try again.
      expect(await response.text()).toMatch(
        /<OzApi_CommandResult_SendSms[^>]*><Code>300<\/Code><Message>Error occured during parsing message: (?:'|&apos;)internal error, try again(?:'|&apos;)<\/Message>/,
      );
      expect(own.daemon.db.prepare('SELECT COUNT(*) AS n FROM messages').get()).toEqual({ n: 0 });
    } finally {
      await own.stop();
    }
  });
});
