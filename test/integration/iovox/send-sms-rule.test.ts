/**
 * A call flow's sendSms rule as the call runtime will run it: loaded and
 * checked, bound per link, resolved against the address book, sent through
 * the daemon's one outbox; its IOVOX receipts reach callbackUrl and its SMS
 * e-mail alert reaches a real SMTP server on loopback — also when that
 * server was down at first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCallFlow } from '../../../src/iovox/flow/parse-call-flow.js';
import { sendSmsRequest } from '../../../src/iovox/flow/send-sms-rule.js';
import type { SendSmsRule } from '../../../src/iovox/flow/flow.js';
import { type IovoxFlowError } from '../../../src/iovox/flow/flow-error.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const smtp = new SmtpReceiver();
const receiver = new HttpReceiver();
let env: Awaited<ReturnType<typeof startDaemon>>;

beforeAll(async () => {
  await smtp.start();
  await receiver.start();
  env = await startDaemon({
    // 4470… fails on the handset; everything else is delivered.
    connectors: [
      { id: 'good', type: 'simulator', receiptDelayMs: 20 },
      { id: 'bad', type: 'simulator', receiptDelayMs: 20, failureRate: 1 },
    ],
    routes: [{ recipient: { prefix: '4470' }, connectors: ['bad'] }, { connectors: ['good'] }],
    iovox: { partnerName: 'ACME' },
    email: {
      smtp: { host: '127.0.0.1', port: smtp.port, timeoutMs: 2000 },
      from: 'telenode@example.test',
      fromName: 'Telenode',
      templates: {
        failed: { subject: 'Undelivered: {{message}}', text: 'To {{contactName}} ({{destination}}): {{status}} at {{timestamp}}', html: '<p>{{message}}</p>' },
      },
      retry: { initialMs: 100, maxMs: 200, maxAgeHours: 1 },
    },
  });
  await env.daemon.extras.contacts.add({
    id: '1',
    displayName: 'Bob',
    phoneNumbers: ['447400000000', '447012345678'],
    primaryEmails: ['bob@example.test', 'bob2@example.test'],
    secondaryEmails: ['boss@example.test'],
  });
  await env.daemon.extras.contacts.add({ id: '2', displayName: 'Carol', phoneNumbers: ['447700900123'], primaryEmails: ['carol@example.test'] });
});

afterAll(async () => {
  await env.stop();
  await Promise.all([smtp.stop(), receiver.stop()]);
});

async function rule(attributes: string): Promise<SendSmsRule> {
  const flow = await parseCallFlow(
    `<callFlow name="t"><sendSms id="sendConfirmationSms" label="sendSms_1" from="$_partnerName" ${attributes} /></callFlow>`,
    env.daemon.extras.iovoxFlows,
  );
  return flow.rules[0] as SendSmsRule;
}

async function run(r: SendSmsRule, bindings: Record<string, string> = {}) {
  const { request } = await sendSmsRequest(r, bindings, { ...env.daemon.extras.iovoxFlows, user: 'flows' });
  return env.daemon.outbox.accept(request);
}

describe('sendSms rule', () => {
  it("seed 000's callback example: sent as $_partnerName to the contact's number, IOVOX receipts with the rule's headers", async () => {
    const r = await rule(
      `destinationPhoneNumber="447400000000" destinationContactName="Bob" message="This is a message from IOVOX!!" callbackUrl="${receiver.url('/dlr')}" callbackUrlHeaders="Content-Type: application/json,X-Custom-Header: iovox"`,
    );
    const message = await run(r);
    expect(message).toMatchObject({ dialect: 'iovox', user: 'flows', sender: 'ACME', recipient: '+447400000000', text: 'This is a message from IOVOX!!' });
    await receiver.waitFor((reqs) => reqs.filter((q) => q.body.includes(message.id)).length >= 2);
    const receipts = receiver.requests.filter((q) => q.body.includes(message.id));
    expect(receipts.map((q) => (JSON.parse(q.body) as { status: string }).status)).toEqual(['ACKNOWLEDGED', 'DELIVERED']);
    expect(receipts[0]!.headers['x-custom-header']).toBe('iovox');
  });

  it('binds ? values per link and checks them as fixed ones', async () => {
    const r = await rule('destinationPhoneNumber="?" destinationContactName="?" message="?"');
    const message = await run(r, { destinationPhoneNumber: '447700900123', destinationContactName: 'Carol', message: 'Your table is ready' });
    expect(message).toMatchObject({ recipient: '+447700900123', text: 'Your table is ready' });

    const errorOf = async (bindings: Record<string, string>) => {
      try {
        await sendSmsRequest(r, bindings, { ...env.daemon.extras.iovoxFlows, user: 'flows' });
      } catch (err) {
        return (err as IovoxFlowError).text;
      }
      return 'accepted';
    };
    expect(await errorOf({ destinationPhoneNumber: '447700900123', message: 'x' })).toBe('Variable Not Bound: destinationContactName');
    expect(await errorOf({ destinationPhoneNumber: '447700900123', destinationContactName: 'Bob', message: 'x' })).toBe('Destination Contact does not exist');
    expect(await errorOf({ destinationPhoneNumber: '0770 090 0123', destinationContactName: 'Carol', message: 'x' })).toBe('Phone Number Invalid');
  });

  it("without a number in the rule, the contact's first number is used", async () => {
    const message = await run(await rule('destinationContactId="2" message="hi"'));
    expect(message.recipient).toBe('+447700900123');
  });
});

describe('SMS e-mail alerts', () => {
  const mailsTo = (address: string) => smtp.mails.filter((m) => m.to.includes(address));

  it('ALL_SMS, PRIMARY, FIRST: one mail to the first primary address when the SMS is delivered, default template', async () => {
    const before = smtp.mails.length;
    const message = await run(await rule('destinationContactId="1" destinationPhoneNumber="447400000000" message="Hello Bob" smsAlert="ALL_SMS"'));
    await smtp.waitFor((m) => m.length > before);
    const mail = smtp.mails.find((m) => m.raw.includes(message.id))!;
    expect(mail.to).toEqual(['bob@example.test']);
    expect(mail.from).toBe('telenode@example.test');
    expect(mail.raw).toMatch(/^From: Telenode <telenode@example\.test>/m);
    expect(mail.raw).toMatch(/^Subject: SMS DELIVERED: \+447400000000/m);
    expect(mail.raw).toContain('Message: Hello Bob');
  });

  it('FAILED_SMS sends nothing for a delivered SMS', async () => {
    const message = await run(await rule('destinationContactId="2" message="fine" smsAlert="FAILED_SMS"'));
    await waitUntil(
      () => (env.daemon.db.prepare('SELECT status FROM messages WHERE id = ?').get(message.id) as { status: string }).status === 'delivered',
      5000,
      'delivered',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsTo('carol@example.test')).toHaveLength(0);
    expect(env.daemon.db.prepare("SELECT COUNT(*) AS n FROM emails WHERE recipients LIKE '%carol%'").get()).toEqual({ n: 0 });
  });

  it('FAILED_SMS, BOTH, ALL with a named template and sender: every address, once the SMTP server comes back', async () => {
    await smtp.stop();
    const port = smtp.port;
    const message = await run(
      await rule(
        'destinationContactId="1" destinationPhoneNumber="447012345678" message="Bob <urgent>" smsAlert="FAILED_SMS" smsAlertDestinationType="BOTH" smsAlertDestinationBehaviour="ALL" smsAlertEmailTemplateName="failed" smsAlertFrom="alerts@example.test" smsAlertFromName="Alerts"',
      ),
    );
    await waitUntil(
      () =>
        ((env.daemon.db.prepare('SELECT attempts FROM emails WHERE text LIKE ?').get('%Bob%failed%') as { attempts: number } | undefined)?.attempts ?? 0) >= 1,
      5000,
      'a failed attempt',
    );
    await smtp.start(port);
    await smtp.waitFor((m) => m.some((x) => x.raw.includes('Undelivered')));
    const mail = smtp.mails.find((m) => m.raw.includes('Undelivered'))!;
    expect(mail.to.sort()).toEqual(['bob2@example.test', 'bob@example.test', 'boss@example.test']);
    expect(mail.from).toBe('alerts@example.test');
    expect(mail.raw).toMatch(/^From: Alerts <alerts@example\.test>/m);
    expect(mail.raw).toMatch(/^Subject: Undelivered: Bob <urgent>/m);
    expect(mail.raw).toContain('<p>Bob &lt;urgent&gt;</p>');
    expect(mail.raw).toMatch(/To Bob \(\+447012345678\): FAILED at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(env.daemon.db.prepare('SELECT status FROM messages WHERE id = ?').get(message.id)).toEqual({ status: 'failed' });
    // The SMTP server has the mail once it answered; the daemon records "sent" after that answer, in a commit of its
    // own (a loaded machine may not have made it yet): wait for it.
    const row = () =>
      env.daemon.db.prepare("SELECT state, attempts FROM emails WHERE subject LIKE 'Undelivered%'").get() as { state: string; attempts: number };
    await expect.poll(() => row().state, { timeout: 10_000, interval: 50 }).toBe('sent');
    expect(row().attempts).toBeGreaterThan(1);
  });
});
