/**
 * The operator console in a real browser (issue 21): chromium through playwright-core against the daemon, with
 * the SMSC simulator for its carrier, an HTTP receiver for callbacks and sipp for a call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { time } from '../../../src/console/client/format.js';
import type { Browser, Page } from 'playwright-core';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { CHROMIUM, launchBrowser, screenshot } from '../../helpers/browser.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { OzmlApp } from '../../helpers/ozml-app.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { SIPP_PCAPS, freeUdpPort, runSipp, sippAvailable } from '../../helpers/sipp.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const OPERATOR = { username: 'operator', password: 'console-pass-1' };
const LONG_SPEECH = 'This is a long announcement. '.repeat(20);

describe.skipIf(!CHROMIUM)('the operator console in chromium', () => {
  // Receipts only when the test says so (deliverNow): the page must show the message before it is delivered.
  let smsc = new SmscSimulator({ port: 0, idFormat: 'hex', finalReceipt: false, log: silentLogger() });
  const hooks = new HttpReceiver();
  const app = new OzmlApp();
  let smscPort = 0;
  let d: Awaited<ReturnType<typeof startDaemon>>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    smscPort = (await smsc.start()).port;
    await hooks.start();
    await app.start();
    // One caller is recorded for a second; everyone else hears a long announcement.
    app.on('/incoming', (form) =>
      form['Caller'] === '+3630888' ? '<Response><Record Duration="30"/></Response>' : `<Response><Speak>${LONG_SPEECH}</Speak><Hangup/></Response>`,
    );
    d = await startDaemon({
      users: [
        { username: OPERATOR.username, passwordHash: hashPassword(OPERATOR.password), admin: true },
        { username: TEST_USER.username, passwordHash: hashPassword(TEST_USER.password) },
      ],
      connectors: [
        { id: 'carrier', type: 'smpp', host: '127.0.0.1', port: smscPort, systemId: 'telenode', password: 'pw', reconnect: { initialMs: 100, maxMs: 300 } },
      ],
      // A failing receiver's callbacks become dead letters after ~6 s of retries.
      webhooks: { backoff: { initialMs: 200, maxMs: 1000, factor: 2, jitter: 0 }, maxAgeHours: 6 / 3600, sweepSeconds: 0.5 },
      voice: { builtin: { port: 0 }, routes: [{ match: '*', url: app.url('/incoming') }] },
    });
    await waitUntil(() => d.daemon.connectors.get('carrier')!.isUp(), 10_000, 'the SMPP bind');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1200, height: 640 } });
  });

  afterAll(async () => {
    await browser?.close();
    await d?.stop();
    await Promise.all([smsc.stop(), hooks.stop(), app.stop()]);
  });

  const show = (selector: string, text?: string, timeout = 15_000) =>
    page
      .locator(selector)
      .filter(text === undefined ? {} : { hasText: text })
      .first()
      .waitFor({ timeout });

  async function sendThroughOzeki(recipient: string, text: string, reportUrl?: string): Promise<string> {
    const query = new URLSearchParams({ command: 'SendSms', Username: TEST_USER.username, Password: TEST_USER.password, Recipient: recipient, Message: text });
    if (reportUrl) query.set('DeliveryReportURL', reportUrl);
    const body = await (await fetch(`${d.base}/api?${query}`)).text();
    const id = /<SmsId>([^<]+)<\/SmsId>/.exec(body)?.[1];
    expect(id, body).toBeDefined();
    return id!;
  }

  /** The carrier id the SMSC simulator gave the message's single part. */
  async function carrierIdOf(messageId: string): Promise<string> {
    let carrierId: string | null = null;
    await waitUntil(
      async () => {
        const rows = await d.daemon.sql.all<{ carrier_id: string | null }>('SELECT carrier_id FROM message_parts WHERE message_id = ?', [messageId]);
        carrierId = rows[0]?.carrier_id ?? null;
        return carrierId !== null;
      },
      15_000,
      'the submit_sm_resp',
    );
    return carrierId!;
  }

  it('refuses a wrong password and a user without the admin role, and lets the operator in', async () => {
    await page.goto(`${d.base}/admin`);
    await show('[data-test=login]');
    await screenshot(page, '01-login');
    await page.fill('input[name=username]', OPERATOR.username);
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await show('[data-test=login-error]', 'wrong username or password');
    await page.fill('input[name=username]', TEST_USER.username);
    await page.fill('input[name=password]', TEST_USER.password);
    await page.click('button[type=submit]');
    await show('[data-test=login-error]', 'does not have the admin role');
    await page.fill('input[name=username]', OPERATOR.username);
    await page.fill('input[name=password]', OPERATOR.password);
    await page.click('button[type=submit]');
    await show('[data-test=bind-carrier-1] [data-test=bind-state]', 'bound');
    await show('[data-test=live]', 'live');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'telenode_console');
    expect([cookie?.httpOnly, cookie?.sameSite]).toEqual([true, 'Strict']);
  });

  it('shows when a scheduled message is to go, and that it waits for it', async () => {
    const sendAt = Date.now() + 3_600_000;
    const message = await d.daemon.outbox.accept({ user: TEST_USER.username, dialect: 'smpp', recipient: '+36301234599', text: 'tomorrow at nine', sendAt });
    await page.goto(`${d.base}/admin#/messages/${message.id}`);
    await show('[data-test=message-status]', 'accepted');
    await show('[data-test=message-send-at]', time(sendAt));
    expect(await d.daemon.outbox.cancel(message.id)).toBe(true);
  });

  it('finds a message sent through the Ozeki API by its recipient, and shows delivered as the receipt arrives', async () => {
    const id = await sendThroughOzeki('+36301234567', 'Your payment of 12.50 EUR was received');
    const carrierId = await carrierIdOf(id);
    await page.goto(`${d.base}/admin#/messages`);
    await page.fill('[data-test=message-search] input[name=recipient]', '+36301234567');
    await page.click('[data-test=message-search] button[type=submit]');
    await show('[data-test=message-row]', id);
    await screenshot(page, '03-messages');
    await page.locator('[data-test=message-row]', { hasText: id }).click();
    await show('[data-test=message-status]', 'submitted');
    expect(smsc.deliverNow(carrierId)).toBe(true);
    // No reload: the page hears the step on its live channel.
    await show('[data-test=message-status]', 'delivered', 10_000);
    await show('[data-test=events]', 'carrier said DELIVRD');
    await screenshot(page, '04-message');
  });

  it('shows a carrier bind down within 2 s of the SMSC going away, and up again when it is back', async () => {
    await page.goto(`${d.base}/admin#/`);
    await show('[data-test=bind-carrier-1] [data-test=bind-state]', 'bound');
    await screenshot(page, '02-overview');
    await smsc.stop();
    const stoppedAt = Date.now();
    await page.locator('[data-test=bind-carrier-1] [data-test=bind-state]').filter({ hasNotText: 'bound' }).waitFor({ timeout: 2_000 });
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(2_000);
    smsc = new SmscSimulator({ port: smscPort, idFormat: 'hex', finalReceipt: false, log: silentLogger() });
    await smsc.start();
    await show('[data-test=bind-carrier-1] [data-test=bind-state]', 'bound');
  });

  it('shows a failing callback destination, then its dead letters, and replays them from the page', async () => {
    hooks.status = 500;
    const id = await sendThroughOzeki('+36307654321', 'Reset code 123456', hooks.url('/dlr'));
    expect(smsc.deliverNow(await carrierIdOf(id))).toBe(true);
    await page.goto(`${d.base}/admin#/callbacks`);
    await show('[data-test=failing-row]', hooks.url('/dlr'));
    await screenshot(page, '05-callbacks-failing');
    await show('[data-test=dead-row]', id, 20_000);
    await screenshot(page, '06-callbacks-dead');
    hooks.status = 200;
    await page.locator('[data-test=replay-url]', { hasText: hooks.url('/dlr') }).click();
    await show('[data-test=replay-note]', '1 dead letter(s) queued again');
    await hooks.waitFor((requests) => requests.some((r) => r.url.includes(encodeURIComponent(id)) || r.body.includes(id)));
    await show('[data-test=no-failing]');
  });

  it.skipIf(!sippAvailable())('lists a live call running a long Speak, and Hang up ends it (sipp gets the BYE)', async () => {
    const sipPort = Number(d.daemon.voice!.engine.status().listen[0]!.split(':').at(-1));
    const phone = await RtpReceiver.start();
    const sipp = runSipp({
      scenario: 'uac-listen.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { rtp_port: phone.port, caller: '+3630999', codec: 0 },
      workDir: d.dir,
    });
    try {
      await page.goto(`${d.base}/admin#/calls`);
      await show('[data-test=live-call]', '+3630999');
      // Answered before the button: a ringing call's Hang up is a 480 to the caller, not a BYE (and the first call
      // after a start waits for the media worker, decision 0113).
      await page.locator('[data-test=live-call]').filter({ hasText: '+3630999' }).filter({ hasText: 'InCall' }).first().waitFor({ timeout: 15_000 });
      await screenshot(page, '07-calls');
      await page.locator('[data-test=live-call]', { hasText: '+3630999' }).locator('[data-test=hangup]').click();
      const result = await sipp.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      await show('[data-test=no-calls]');
      // The speech was still playing when the call ended: it was the button, not the script, that hung up.
      expect(phone.audio().length).toBeLessThan((LONG_SPEECH.length / 12) * 8000);
    } finally {
      sipp.kill();
      phone.close();
    }
  });

  it.skipIf(!sippAvailable())('plays a recording made by the Record verb in the browser', async () => {
    const sipPort = Number(d.daemon.voice!.engine.status().listen[0]!.split(':').at(-1));
    // The caller talks for 7 s (sip-tester's g711a.pcap) and hangs up; Record keeps what it said.
    const ear = await RtpReceiver.start();
    const sipp = runSipp({
      scenario: 'uac-talk.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { rtp_port: ear.port, caller: '+3630888', codec: 8 },
      workDir: d.dir,
      cwd: SIPP_PCAPS,
      timeoutSeconds: 30,
    });
    try {
      const result = await sipp.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
    } finally {
      sipp.kill();
      ear.close();
    }
    await page.goto(`${d.base}/admin#/calls`);
    await show('[data-test=recording]');
    const seconds = await page
      .locator('[data-test=recording] audio')
      .first()
      .evaluate(
        (audio: HTMLAudioElement) =>
          new Promise<number>((resolve, reject) => {
            if (audio.readyState >= 1) resolve(audio.duration);
            audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
            audio.addEventListener('error', () => reject(new Error(`the browser could not load ${audio.src}`)));
            audio.load();
          }),
      );
    expect(seconds).toBeGreaterThan(6);
    expect(seconds).toBeLessThan(8);
    await screenshot(page, '07b-recordings');
  });

  it('shows a message text that is markup as text, never as markup', async () => {
    const hostile = '<script>window.__owned = 1</script><img src=x onerror="window.__owned = 2">';
    const id = await sendThroughOzeki('+36305550000', hostile);
    await page.goto(`${d.base}/admin#/messages/${encodeURIComponent(id)}`);
    await show('[data-test=message-text]', hostile);
    expect(await page.evaluate(() => (window as unknown as { __owned?: number }).__owned)).toBeUndefined();
    expect(await page.locator('[data-test=message-text] img').count()).toBe(0);
  });

  it('sends a test SMS from the console and follows it to delivered', async () => {
    await page.goto(`${d.base}/admin#/send`);
    await page.fill('[data-test=send-form] input[name=recipient]', '+36304440000');
    await page.fill('[data-test=send-form] textarea[name=text]', 'Console test');
    await page.click('[data-test=send-form] button[type=submit]');
    await show('[data-test=message-status]', 'submitted');
    const id = decodeURIComponent(new URL(page.url()).hash.replace('#/messages/', ''));
    expect(smsc.deliverNow(await carrierIdOf(id))).toBe(true);
    await show('[data-test=message-status]', 'delivered', 10_000);
  });

  it('adds, edits and deletes a contact', async () => {
    await page.goto(`${d.base}/admin#/contacts`);
    await page.fill('[data-test=contact-form] input[name=displayName]', 'Front desk');
    await page.fill('[data-test=contact-form] input[name=phoneNumbers]', '+3612345678');
    await page.click('[data-test=contact-form] button[type=submit]');
    await show('[data-test=contact-row]', 'Front desk');
    await page.locator('[data-test=contact-row]', { hasText: 'Front desk' }).getByText('Edit').click();
    await page.fill('[data-test=contact-form] input[name=displayName]', 'Reception');
    await page.click('[data-test=contact-form] button[type=submit]');
    await show('[data-test=contact-row]', 'Reception');
    await screenshot(page, '08-contacts');
    expect((await d.daemon.extras.contacts.list({})).map((c) => c.displayName)).toEqual(['Reception']);
    await page.locator('[data-test=contact-row]', { hasText: 'Reception' }).getByText('Delete').click();
    await waitUntil(async () => (await d.daemon.extras.contacts.list({})).length === 0, 10_000, 'the contact deleted');
  });

  it('shows the running config with its secrets redacted', async () => {
    await page.goto(`${d.base}/admin#/config`);
    await show('[data-test=config-source]', 'test');
    const text = await page.locator('[data-test=config]').innerText();
    expect(text).toContain('"passwordHash": "[redacted]"');
    expect(text).not.toContain('scrypt$');
    expect(text).not.toContain('"password": "pw"');
    await screenshot(page, '09-config');
  });

  it('fits a phone-sized screen: nothing wider than the screen but the tables, which scroll in place', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await phone.context().addCookies(await page.context().cookies());
      const pages = { '#/': '[data-test=bind-carrier-1]', '#/messages': '[data-test=message-results]', '#/callbacks': 'h2', '#/calls': 'h2' };
      for (const [route, ready] of Object.entries(pages)) {
        await phone.goto(`${d.base}/admin${route}`);
        await phone.locator(ready).first().waitFor();
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, route).toBeLessThanOrEqual(0);
      }
      await phone.goto(`${d.base}/admin#/`);
      await phone.locator('[data-test=bind-carrier-1]').waitFor();
      await screenshot(phone, '10-phone-overview');
    } finally {
      await phone.close();
    }
  });

  it('logs out: the session cookie no longer opens the API', async () => {
    await page.goto(`${d.base}/admin#/`);
    await page.click('[data-test=logout]');
    await show('[data-test=login]');
    const status = await page.evaluate(async () => (await fetch('/admin/api/overview')).status);
    expect(status).toBe(401);
  });
});
