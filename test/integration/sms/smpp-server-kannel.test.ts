/**
 * Kannel 1.4 (Debian's `kannel`) as the client of telenode's SMPP server:
 * bearerbox binds to telenode as an ESME, messages sent through Kannel's
 * sendsms reach telenode's carrier (the SMSC simulator) whole, and their
 * delivery receipts come back through telenode to Kannel and out of its
 * dlr-url. Skipped, with the reason, where Kannel is not installed
 * (`apt-get install kannel`; .ci/run installs it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { Kannel, kannelAvailable } from '../../helpers/kannel.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const available = kannelAvailable();
if (!available) console.warn('SKIPPED smpp-server-kannel: bearerbox/smsbox not found (apt-get install kannel)');

describe.skipIf(!available)('SMPP server with Kannel as its client', () => {
  const carrier = new SmscSimulator({ port: 0, idFormat: 'decimal', receiptDelayMs: 100, log: silentLogger() });
  const dlr = new HttpReceiver();
  let env: Awaited<ReturnType<typeof startDaemon>>;
  let kannel: Kannel;

  beforeAll(async () => {
    const { port } = await carrier.start();
    await dlr.start();
    env = await startDaemon({
      users: [{ username: 'kannel', passwordHash: hashPassword('kann3l!x'), smpp: true }],
      connectors: [{ id: 'carrier', type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', reconnect: { initialMs: 100, maxMs: 500 } }],
      smppServer: { host: '127.0.0.1', port: 0 },
    });
    kannel = await Kannel.start({ smppPort: env.daemon.smppServer!.port, systemId: 'kannel', password: 'kann3l!x' });
    await waitUntil(() => (env.daemon.smppServer!.status().binds['kannel'] ?? 0) > 0, 30_000, 'Kannel bound to telenode');
    await waitUntil(async () => /online/.test(await kannel.status()), 30_000, 'Kannel SMSC online');
  }, 90_000);

  afterAll(async () => {
    await kannel?.stop();
    await env?.stop();
    await carrier.stop();
    await dlr.stop();
  });

  async function sendThroughKannel(to: string, text: string, extra: Record<string, string> = {}): Promise<string> {
    const tag = `${to.slice(-4)}`;
    const sent = await kannel.send({ from: 'ACME', to, text, 'dlr-mask': '3', 'dlr-url': `${dlr.url('/dlr')}?tag=${tag}&type=%d&reply=%A`, ...extra });
    expect(sent.status, sent.body).toBe(202);
    return tag;
  }

  it('sends a message through Kannel and telenode to the carrier, and the receipt comes back out of Kannel’s dlr-url', async () => {
    const tag = await sendThroughKannel('+36101240001', 'Hello through Kannel');
    await dlr.waitFor((r) => r.some((q) => q.url.includes(`tag=${tag}&`)), 30_000);
    const report = new URL(dlr.requests.find((q) => q.url.includes(`tag=${tag}&`))!.url, 'http://x');
    expect(report.searchParams.get('type')).toBe('1'); // Kannel's DLR type 1: delivered to the phone
    expect(carrier.received.find((m) => m.destination === '36101240001')!.text).toBe('Hello through Kannel');
  });

  it('keeps the validity Kannel gives a message (sendsms validity=60) as its expiry, and delivers it', async () => {
    const sentAt = Date.now();
    const tag = await sendThroughKannel('+36101240004', 'Valid for an hour', { validity: '60' });
    await dlr.waitFor((r) => r.some((q) => q.url.includes(`tag=${tag}&`)), 30_000);
    const report = new URL(dlr.requests.find((q) => q.url.includes(`tag=${tag}&`))!.url, 'http://x');
    expect(report.searchParams.get('type')).toBe('1'); // before: refused with ESME_RINVEXPIRY, so never delivered
    const row = env.daemon.db.prepare("SELECT expires_at AS at FROM messages WHERE recipient LIKE '%36101240004'").get() as { at: number };
    // Kannel writes SMPP time to the second, relative or absolute: within a couple of minutes of an hour from now.
    expect(Math.abs(row.at - (sentAt + 3_600_000))).toBeLessThan(120_000);
  });

  it('delivers a long message and a UCS-2 one that Kannel split into parts as whole messages, each with its delivered receipt', async () => {
    const long = 'This is a long message that Kannel has to split into concatenated parts before it reaches telenode. '.repeat(3).trim();
    const ucs = 'Árvíztűrő tükörfúrógép — 日本語のテキスト';
    const longTag = await sendThroughKannel('+36101240002', long);
    const ucsTag = await sendThroughKannel('+36101240003', ucs, { coding: '2', charset: 'UTF-8' });
    await dlr.waitFor((r) => [longTag, ucsTag].every((t) => r.some((q) => q.url.includes(`tag=${t}&`))), 30_000);
    for (const tag of [longTag, ucsTag]) {
      const report = new URL(dlr.requests.find((q) => q.url.includes(`tag=${tag}&`))!.url, 'http://x');
      expect(report.searchParams.get('type')).toBe('1');
    }
    expect(
      carrier.received
        .filter((m) => m.destination === '36101240002')
        .map((m) => m.text)
        .join(''),
    ).toBe(long);
    expect(carrier.received.filter((m) => m.destination === '36101240003').map((m) => m.text)).toEqual([ucs]);
  });
});
