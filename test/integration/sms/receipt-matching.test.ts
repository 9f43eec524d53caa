/**
 * A receipt settles exactly its own message. Against an SMSC that hands out
 * small sequential decimal ids (receipt `10` also reads as hex `16`), 1,000
 * messages with receipts, some delivered and some not, each reach the final
 * status the SMSC gave it; then an SMSC with hex submit ids and decimal
 * receipts, which `auto` learns; an explicit carrierIdFormat needs no learning.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const auth = { Username: TEST_USER.username, Password: TEST_USER.password };
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function run(simOptions: ConstructorParameters<typeof SmscSimulator>[0], connector: Record<string, unknown>, count: number) {
  const sim = new SmscSimulator({ port: 0, receiptDelayMs: 30, log: silentLogger(), ...simOptions });
  await sim.start();
  const env = await startDaemon({
    connectors: [
      {
        id: 'smsc',
        type: 'smpp',
        host: '127.0.0.1',
        port: sim.port,
        systemId: 'tn',
        password: 'pw',
        window: 50,
        reconnect: { initialMs: 100, maxMs: 500 },
        ...connector,
      },
    ],
  });
  cleanups.push(async () => {
    await env.stop();
    await sim.stop();
  });
  await waitUntil(() => [...env.daemon.connectors.values()].every((c) => c.isUp()), 10_000, 'bind');
  const ids = new Map<string, string>();
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async (_, k) => {
        const text = `msg ${i + k}`;
        const reply = await ozekiGet(env.base, sendSmsQuery({ ...auth, Recipient: '+36301234567', Message: text, DeliveryReport: 'true' }));
        expect(reply.code, reply.message).toBe(200);
        ids.set(reply.smsId!, text);
      }),
    );
  }
  const finalStatus = () =>
    new Map((env.daemon.db.prepare('SELECT id, status FROM messages').all() as Array<{ id: string; status: string }>).map((r) => [r.id, r.status]));
  await waitUntil(() => [...finalStatus().values()].every((s) => s === 'delivered' || s === 'failed'), 60_000, 'every message final');
  const truth = new Map(sim.received.map((s) => [s.text, s.finalStat]));
  const wrong = [...finalStatus()].filter(([id, status]) => (truth.get(ids.get(id)!) === 'DELIVRD' ? 'delivered' : 'failed') !== status);
  return { wrong, env, sim };
}

describe('receipt matching', () => {
  it('settles each of 1,000 messages by its own receipt when the SMSC gives small sequential decimal ids', { timeout: 120_000 }, async () => {
    const { wrong, env } = await run({ idFormat: 'decimal', firstId: 1, failureRate: 0.3 }, {}, 1000);
    expect(wrong).toEqual([]); // before: 144 of 1,000 wrong (receipt 10 also settled the message with id 16)
    const metrics = await (await fetch(`${env.base}/metrics`)).text();
    expect(metrics).not.toMatch(/telenode_sms_receipts_unresolved_total\{[^}]*reason="ambiguous"\} [1-9]/);
  });

  it('learns hex submit ids with decimal receipts (auto), and settles every message right', { timeout: 120_000 }, async () => {
    const { wrong } = await run({ idFormat: 'hex', receiptIdFormat: 'decimal', failureRate: 0.3 }, {}, 200);
    expect(wrong).toEqual([]);
  });

  it('reads receipts under an explicit carrierIdFormat at once', { timeout: 120_000 }, async () => {
    const { wrong } = await run({ idFormat: 'decimal', firstId: 1, receiptIdFormat: 'hex', failureRate: 0.3 }, { carrierIdFormat: 'decimal' }, 200);
    expect(wrong).toEqual([]);
  });
});
