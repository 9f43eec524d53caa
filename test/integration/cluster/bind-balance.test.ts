/**
 * A carrier's binds follow the nodes (decision 0137): a node that started alone holds all of them; when another
 * node joins and asks, it hands one over — under load, once the bind's window is empty, so no part on the wire is
 * cut off and sent again — and the carrier never sees more binds than it allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, boundBinds, startDaemon } from '../../helpers/in-process-daemon.js';
import { deliveryReportIds, sendSmsAs } from '../../helpers/ozeki-client.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil, waitWhileProgressing } from '../../helpers/temp-dir.js';
import { smscConnector } from '../../helpers/cluster-connector.js';

const missing = postgresMissing();
// Answers 100 ms after each submit_sm, so a bind under load always has parts on the wire.
const smsc = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 20, responseDelayMs: 100, log: silentLogger() });
const receiver = new HttpReceiver();
let server: PgServer;
type Node = Awaited<ReturnType<typeof startDaemon>>;
const nodes: Node[] = [];
let config: (id: string) => Record<string, unknown>;

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  const url = await server.createDatabase();
  const { port } = await smsc.start();
  await receiver.start();
  config = (id) => ({
    store: { type: 'postgres', url, poolSize: 4 },
    node: { id, leaseSeconds: 2 },
    connectors: [smscConnector(port, { binds: 2, window: 20 })],
    webhooks: { sweepSeconds: 0.5, backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 } },
  });
  nodes.push(await startDaemon(config('node-a')));
  await waitUntil(() => boundBinds(nodes[0]!, 'smsc') === 2, 30_000, 'node-a holding both binds');
});

afterAll(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
  await smsc.stop();
  await receiver.stop();
  await server?.stop();
});

describe.skipIf(missing)('binds follow the nodes', () => {
  it('a node that joins under load gets one of the two binds; nothing is sent twice, nothing lost, never three binds', async () => {
    const accepted = new Map<string, string>();
    let sending = true;
    let sent = 0;
    let mostBinds = 0;
    const sampler = setInterval(() => (mostBinds = Math.max(mostBinds, smsc.bindCount)), 5);
    const worker = async () => {
      while (sending) {
        const text = `balance-${sent++}`;
        const node = nodes[sent % nodes.length]!;
        const reply = await sendSmsAs(node.base, TEST_USER, text, receiver.url('/dlr'));
        expect(reply.code, reply.message).toBe(200);
        accepted.set(reply.smsId!, text);
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, worker));
    try {
      await waitUntil(() => accepted.size >= 100, 30_000, 'load under way');
      nodes.push(await startDaemon(config('node-b')));
      await waitUntil(() => boundBinds(nodes[1]!, 'smsc') === 1 && boundBinds(nodes[0]!, 'smsc') === 1, 60_000, 'one bind on each node');
      const balancedAt = accepted.size;
      await waitUntil(() => accepted.size >= balancedAt + 100, 30_000, 'more load after the hand-over');
    } finally {
      sending = false;
      await load;
      clearInterval(sampler);
    }
    await waitWhileProgressing(() => deliveryReportIds(receiver).size, accepted.size, 30_000, 'final callbacks');
    const reported = deliveryReportIds(receiver);
    expect([...accepted.keys()].filter((id) => !reported.has(id))).toEqual([]);
    // Each part once at the carrier: a bind cut with parts on its wire would have had them sent again.
    const atSmsc = smsc.received.map((r) => r.text).filter((t) => t.startsWith('balance-'));
    expect(atSmsc.length).toBe(new Set(atSmsc).size);
    expect(new Set(atSmsc)).toEqual(new Set(accepted.values()));
    expect(mostBinds).toBeLessThanOrEqual(2);
  }, 180_000);
});
