/**
 * A node without a carrier bind hands its messages to the cluster, and the node holding the bind claims them when
 * the hand-over commits (PostgreSQL NOTIFY), not at its next sweep: here the sweeps run once an hour, so every
 * message below reaches the carrier only if the hand-over is heard — also after the database restarted and the
 * listening connections had to be made again. A message scheduled on the node without the bind is handed over
 * at its time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { deliveryReportIds, sendSmsAs } from '../../helpers/ozeki-client.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil } from '../../helpers/temp-dir.js';
import { smscConnector } from '../../helpers/cluster-connector.js';

const missing = postgresMissing();
const smsc = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
const receiver = new HttpReceiver();
let server: PgServer;
type Node = Awaited<ReturnType<typeof startDaemon>>;
let withBind: Node;
let withoutBind: Node;

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  const url = await server.createDatabase();
  const { port } = await smsc.start();
  await receiver.start();
  const config = (id: string) => ({
    store: { type: 'postgres', url, poolSize: 4 },
    node: { id, claimSweepSeconds: 3600 },
    connectors: [smscConnector(port, { binds: 1 })],
    webhooks: { sweepSeconds: 0.5, backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 } },
  });
  withBind = await startDaemon(config('node-a'));
  await waitUntil(() => withBind.daemon.connectors.get('smsc')!.isUp(), 30_000, "node-a's bind");
  withoutBind = await startDaemon(config('node-b'));
});

afterAll(async () => {
  await withoutBind?.stop();
  await withBind?.stop();
  await smsc.stop();
  await receiver.stop();
  await server?.stop();
});

/** Sends through the node without the bind; a message is accepted once the node answers 200 (after a restart it may say "try later" first). */
async function sendThroughNodeWithoutBind(prefix: string, count: number): Promise<Map<string, string>> {
  const accepted = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const text = `${prefix}-${i}`;
    await waitUntil(
      async () => {
        const reply = await sendSmsAs(withoutBind.base, TEST_USER, text, receiver.url('/dlr'));
        if (reply.code === 200) accepted.set(reply.smsId!, text);
        return reply.code === 200;
      },
      30_000,
      `node-b accepting ${text}`,
    );
  }
  return accepted;
}

describe.skipIf(missing)('hand-over between nodes', () => {
  it('messages a node without a bind accepts go out through the node with the bind, sweeps an hour apart', async () => {
    expect(withoutBind.daemon.connectors.get('smsc')!.isUp()).toBe(false);
    const accepted = await sendThroughNodeWithoutBind('handed', 20);
    await waitUntil(() => isSubset(accepted.keys(), deliveryReportIds(receiver)), 30_000, 'a final callback for every handed-over message');
    const atSmsc = smsc.received.filter((r) => r.text.startsWith('handed-')).map((r) => r.text);
    expect(atSmsc.sort()).toEqual([...accepted.values()].sort());
    expect(smsc.bindCount).toBe(1);
  });

  it('a message the node without a bind scheduled goes out through the node with the bind at its time, not before', async () => {
    const sendAt = Date.now() + 2000;
    const text = 'scheduled on node-b';
    await withoutBind.daemon.outbox.accept({ user: TEST_USER.username, dialect: 'ozeki', recipient: '+36301230999', text, sendAt });
    await waitUntil(() => smsc.received.some((r) => r.text === text), 30_000, 'at the carrier through node-a');
    const sent = smsc.received.filter((r) => r.text === text);
    expect(sent).toHaveLength(1);
    // node-a claims only what is due: not before its time (Node's timers may fire a millisecond early by Date.now()).
    expect(sent[0]!.at).toBeGreaterThanOrEqual(sendAt - 2);
  });

  it('after PostgreSQL restarts, the nodes listen again and hand-overs are heard as before', async () => {
    await server.halt();
    await server.start();
    const accepted = await sendThroughNodeWithoutBind('after-restart', 10);
    await waitUntil(
      () => [...accepted.keys()].every((id) => deliveryReportIds(receiver).has(id)),
      30_000,
      'a final callback for every message after the restart',
    );
    const atSmsc = smsc.received.filter((r) => r.text.startsWith('after-restart-')).map((r) => r.text);
    expect(atSmsc.sort()).toEqual([...accepted.values()].sort());
  });
});

function isSubset(ids: Iterable<string>, of: ReadonlySet<string>): boolean {
  return [...ids].every((id) => of.has(id));
}
