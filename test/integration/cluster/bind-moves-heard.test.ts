/**
 * A bind moves when the nodes say so, not at their next heartbeats (decisions 0136, 0137): a node that joins asks
 * for a slot and the holder hears the ask; the holder hands it over and the asker hears that; a node that leaves at
 * a clean stop frees its slots and the others hear it. The lease here is the longest allowed (300 s, a heartbeat
 * every 75 s), so within this test no node beats again on its own after its first heartbeat: every move below is
 * one that was heard.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { boundBinds, startDaemon } from '../../helpers/in-process-daemon.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil } from '../../helpers/temp-dir.js';
import { smscConnector } from '../../helpers/cluster-connector.js';

const missing = postgresMissing();
const smsc = new SmscSimulator({ port: 0, log: silentLogger() });
let server: PgServer;
type Node = Awaited<ReturnType<typeof startDaemon>>;
const nodes = new Map<string, Node>();
let config: (id: string) => Record<string, unknown>;
/** Well under the 75 s between heartbeats: a move within it was heard, not found at a heartbeat. */
const HEARD_WITHIN_MS = 20_000;

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  const url = await server.createDatabase();
  const { port } = await smsc.start();
  config = (id) => ({
    store: { type: 'postgres', url, poolSize: 2 },
    node: { id, leaseSeconds: 300 },
    connectors: [smscConnector(port, { binds: 2 })],
  });
  nodes.set('node-a', await startDaemon(config('node-a')));
  await waitUntil(() => boundBinds(nodes.get('node-a')!, 'smsc') === 2, 30_000, 'node-a holding both binds');
});

afterAll(async () => {
  for (const node of [...nodes.values()].reverse()) await node.stop();
  await smsc.stop();
  await server?.stop();
});

describe.skipIf(missing)('bind moves are heard', () => {
  it('a node that joins gets a bind at once: the holder hears the ask, the asker hears the hand-over', async () => {
    nodes.set('node-b', await startDaemon(config('node-b')));
    const [a, b] = [nodes.get('node-a')!, nodes.get('node-b')!];
    await waitUntil(() => boundBinds(a, 'smsc') === 1 && boundBinds(b, 'smsc') === 1, HEARD_WITHIN_MS, 'one bind on each node');
  }, 60_000);

  it('a node that stops cleanly: the other binds its slot at once', async () => {
    const a = nodes.get('node-a')!;
    await nodes.get('node-b')!.stop();
    nodes.delete('node-b');
    await waitUntil(() => boundBinds(a, 'smsc') === 2 && smsc.bindCount === 2, HEARD_WITHIN_MS, 'node-a holding both binds again');
  }, 60_000);
});
