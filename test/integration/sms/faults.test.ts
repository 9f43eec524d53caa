/**
 * Faults a carrier integration meets in production: the SMSC vanishes
 * mid-load, the callback receiver is down for a while, a connector is down
 * and the route fails over. Nothing accepted may be lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../../src/shared/log.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';
import { freeTcpPort } from '../../helpers/ports.js';

const auth = { Username: TEST_USER.username, Password: TEST_USER.password };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function smpp(id: string, port: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    type: 'smpp',
    host: '127.0.0.1',
    port,
    systemId: 'telenode',
    password: 'pw',
    window: 20,
    submitTimeoutMs: 2000,
    reconnect: { initialMs: 100, maxMs: 300 },
    ...extra,
  };
}

describe('faults', () => {
  it('treats a lost bind as one event: one warning, the parts in flight back in the queue, none lost', async () => {
    // Outside the ephemeral range: the SMSC comes back on this port while the daemon reconnects (ports.ts).
    const sim = new SmscSimulator({ port: await freeTcpPort(), idFormat: 'hex', receiptDelayMs: 20, responseDelayMs: 300, log: silentLogger() });
    const { port } = await sim.start();
    const lines: Array<{ level: number; msg: string }> = [];
    const log = createLogger({
      level: 'debug',
      destination: new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }) as never,
    });
    const env = await startDaemon({ connectors: [smpp('c1', port, { window: 50 })], sms: { retry: { initialMs: 100, maxMs: 500, maxAgeHours: 1 } } }, { log });
    cleanups.push(
      () => env.stop(),
      () => sim.stop(),
    );
    await waitUntil(() => env.daemon.connectors.get('c1')!.isUp(), 10_000, 'bind');
    const texts = Array.from({ length: 50 }, (_, i) => `in flight ${i}`);
    await Promise.all(texts.map((text, i) => ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: `+361000${String(i).padStart(4, '0')}`, Message: text }))));
    await waitUntil(() => sim.received.length >= 40, 10_000, 'most submits at the SMSC, their responses still pending');
    const before = lines.length;
    await sim.stop(); // the socket dies with ~50 submit_sm unanswered
    const sim2 = new SmscSimulator({ port, idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
    await sim2.start();
    cleanups.push(() => sim2.stop());
    await waitUntil(() => texts.every((t) => sim2.received.some((m) => m.text === t)), 30_000, 'every message at the SMSC after the rebind');
    const warnings = lines.slice(before).filter((l) => l.level >= 40);
    expect(warnings.map((w) => w.msg)).toEqual(['session lost']); // before: one 'submit failed; will retry' with a stack per message
  });

  it('loses nothing when the SMSC disappears mid-load and comes back', async () => {
    const sim = new SmscSimulator({ port: await freeTcpPort(), idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
    const { port } = await sim.start();
    const env = await startDaemon({ connectors: [smpp('c1', port)], sms: { retry: { initialMs: 100, maxMs: 500, maxAgeHours: 1 } } });
    cleanups.push(
      () => env.stop(),
      () => sim.stop(),
    );
    await waitUntil(() => env.daemon.connectors.get('c1')!.isUp(), 10_000, 'bind');

    const accepted: string[] = [];
    const sending = (async () => {
      for (let i = 0; i < 400; i++) {
        const text = `load ${i}`;
        const reply = await ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: '+3610000' + String(i).padStart(4, '0'), Message: text }));
        if (reply.code === 200) accepted.push(text);
      }
    })();
    await waitUntil(() => sim.received.length >= 100, 20_000, 'first 100 at the SMSC');
    await sim.stop();
    await waitUntil(() => !env.daemon.connectors.get('c1')!.isUp(), 10_000, 'the bind lost');
    const sim2 = new SmscSimulator({ port, idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
    await sim2.start();
    cleanups.push(() => sim2.stop());
    await sending;
    expect(accepted).toHaveLength(400);
    const seen = () => new Set([...sim.received, ...sim2.received].map((m) => m.text));
    await waitUntil(() => accepted.every((t) => seen().has(t)), 30_000, 'every accepted message at the SMSC');
  });

  it('delivers every callback after the receiver comes back', async () => {
    const receiver = await new HttpReceiver().start();
    const port = receiver.port;
    await receiver.stop();
    const env = await startDaemon({ connectors: [{ id: 'lab', type: 'simulator', receiptDelayMs: 10 }] });
    cleanups.push(() => env.stop());
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const reply = await ozekiGet(
        env.base,
        sendSmsQuery({ ...auth, Recipient: '+3620000000', Message: `cb ${i}`, DeliveryReportURL: `http://127.0.0.1:${port}/dlr` }),
      );
      ids.push(reply.smsId!);
    }
    // Callbacks fail against the closed port first.
    await waitUntil(
      async () => (await env.daemon.sql.all("SELECT id FROM webhooks WHERE attempts > 0 AND state = 'pending'")).length > 0,
      15_000,
      'callbacks failing',
    );
    const back = await new HttpReceiver().start(port);
    cleanups.push(() => back.stop());
    await back.waitFor((r) => new Set(r.map((q) => q.form.get('SmsId'))).size === 50, 20_000);
    expect(new Set(back.requests.map((q) => q.form.get('SmsId')))).toEqual(new Set(ids));
  });

  it('fails over to the next connector of the route while the first is down', async () => {
    const backup = new SmscSimulator({ port: 0, idFormat: 'decimal', receiptDelayMs: 10, log: silentLogger() });
    const { port: backupPort } = await backup.start();
    // The primary points at a closed port: it never binds.
    const closed = await new HttpReceiver().start();
    const deadPort = closed.port;
    await closed.stop();
    const env = await startDaemon({
      connectors: [smpp('primary', deadPort), smpp('backup', backupPort)],
      routes: [{ recipient: { prefix: '+36' }, connectors: ['primary', 'backup'] }],
    });
    cleanups.push(
      () => env.stop(),
      () => backup.stop(),
    );
    await waitUntil(() => env.daemon.connectors.get('backup')!.isUp(), 10_000, 'backup bind');
    const reply = await ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: '+36301112222', Message: 'via backup' }));
    expect(reply.code).toBe(200);
    await waitUntil(() => backup.received.some((m) => m.text === 'via backup'), 10_000, 'message at backup');
    const connectorOf = () =>
      (env.daemon.db.prepare('SELECT connector_id FROM messages WHERE id = ?').get(reply.smsId) as { connector_id: string | null }).connector_id;
    await waitUntil(() => connectorOf() !== null, 5000, 'submit result stored');
    expect(connectorOf()).toBe('backup');
  });
});
