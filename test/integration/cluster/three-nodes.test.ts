/**
 * Three nodes on one PostgreSQL (issue 17, items 2, 3 and 8): messages sent through all three
 * round-robin each reach the SMSC and get exactly one final callback, counted at the receiver; the
 * work a node held when it stopped is finished by the others; /health shows the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { sendSmsAs } from '../../helpers/ozeki-client.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil, waitWhileProgressing } from '../../helpers/temp-dir.js';
import { freeTcpPort } from '../../helpers/ports.js';
import { smscConnector } from '../../helpers/cluster-connector.js';

const MESSAGES = Number(process.env['CLUSTER_TEST_MESSAGES'] ?? 10_000);
const missing = postgresMissing();
// A port outside the ephemeral range: the SMSC comes back on it below while the nodes keep reconnecting (ports.ts).
const smsc = new SmscSimulator({ port: await freeTcpPort(), idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
const receiver = new HttpReceiver();
let server: PgServer;
type Node = Awaited<ReturnType<typeof startDaemon>>;
const nodes: Node[] = [];
let smscPort = 0;

async function startNode(id: string, url: string, smscPort: number): Promise<Node> {
  return startDaemon({
    store: { type: 'postgres', url, poolSize: 6 },
    node: { id },
    connectors: [smscConnector(smscPort, { binds: 1, window: 50 })],
    webhooks: { sweepSeconds: 0.5, backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 } },
  });
}

/** Send `count` messages, node by node in turn, `concurrency` at a time; returns SmsId → text. */
async function sendRoundRobin(count: number, prefix: string, concurrency = 48): Promise<Map<string, string>> {
  const sent = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const text = `${prefix}-${n}`;
      const node = nodes[n % nodes.length]!;
      const reply = await sendSmsAs(node.base, TEST_USER, text, receiver.url('/dlr'));
      expect(reply.code, reply.message).toBe(200);
      sent.set(reply.smsId!, text);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sent;
}

/** Final callbacks at the receiver per SmsId. */
function finalCallbacks(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const q of receiver.requests) {
    if (q.form.get('NotificationName') !== 'SMSDeliveryReport') continue;
    const id = q.form.get('SmsId')!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  const url = await server.createDatabase();
  smscPort = (await smsc.start()).port;
  await receiver.start();
  for (const id of ['node-a', 'node-b', 'node-c']) nodes.push(await startNode(id, url, smscPort));
  await waitUntil(() => nodes.some((n) => n.daemon.connectors.get('smsc')!.isUp()), 15_000, 'the bind');
});

afterAll(async () => {
  for (const node of nodes.splice(0)) await node.stop();
  await smsc.stop();
  await receiver.stop();
  await server?.stop();
});

describe.skipIf(missing)('three nodes on one PostgreSQL', () => {
  it(`${MESSAGES} messages round-robin through three nodes: each reaches the SMSC, each gets exactly one final callback, over one bind`, async () => {
    let mostBinds = 0;
    const sampler = setInterval(() => (mostBinds = Math.max(mostBinds, smsc.bindCount)), 10);
    const sent = await sendRoundRobin(MESSAGES, 'rr').finally(() => clearInterval(sampler));
    await waitWhileProgressing(() => finalCallbacks().size, MESSAGES, 30_000, 'final callbacks');
    const counts = finalCallbacks();
    expect([...sent.keys()].filter((id) => counts.get(id) !== 1)).toEqual([]);
    const atSmsc = new Set(smsc.received.map((r) => r.text));
    expect([...sent.values()].filter((text) => !atSmsc.has(text))).toEqual([]);
    // Nobody else's message was sent twice: each node submitted only what it held.
    expect(smsc.received.filter((r) => r.text.startsWith('rr-')).length).toBe(MESSAGES);
    // `binds: 1` is the carrier's limit for the whole cluster: one node holds the bind, the others hand it their messages.
    expect(mostBinds).toBe(1);
    // Sending 10,000 through three nodes in one process took 40–55 s with two cores busy elsewhere, and over 180 s
    // once on a loaded CI host: what fails the test is callbacks that stop coming (30 s without one, with the count
    // so far), not the machine's pace; 600 s is only the backstop.
  }, 600_000);

  it('/health on any node lists the three nodes alive and what they hold', async () => {
    const health = (await (await fetch(`${nodes[1]!.base}/health`)).json()) as {
      node: string;
      cluster: { self: string; nodes: Array<{ id: string; alive: boolean }>; binds: Array<{ connectorId: string; slot: number; nodeId: string | null }> };
    };
    expect(health.node).toBe('node-b');
    expect(health.cluster.nodes.map((n) => [n.id, n.alive])).toEqual([
      ['node-a', true],
      ['node-b', true],
      ['node-c', true],
    ]);
    expect(health.cluster.binds).toEqual([{ connectorId: 'smsc', slot: 1, nodeId: expect.stringMatching(/^node-[abc]$/) as unknown }]);
  });

  it('every node answers for data another node stored, and /metrics shows the cluster', async () => {
    const auth = `Basic ${Buffer.from(`${TEST_USER.username}:${TEST_USER.password}`).toString('base64')}`;
    const headers = { authorization: auth, 'content-type': 'application/json' };
    const created = await fetch(`${nodes[0]!.base}/contacts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ id: 'c-1', displayName: 'Ada', phoneNumbers: ['+36301112222'] }),
    });
    expect(created.status).toBe(201);
    const read = await fetch(`${nodes[2]!.base}/contacts/c-1`, { headers });
    expect(await read.json()).toMatchObject({ id: 'c-1', displayName: 'Ada' });
    const metrics = await (await fetch(`${nodes[1]!.base}/metrics`)).text();
    expect(metrics).toMatch(/^telenode_cluster_nodes_alive 3$/m);
    expect(metrics).toMatch(/^telenode_cluster_binds_held\{connector="smsc"\} [01]$/m);
    expect(metrics).toMatch(/^telenode_cluster_claimed\{node="node-a",kind="messages"\} \d+$/m);
  });

  it('a node that stops with unsent messages hands them over: the others send them once the carrier is back, with their callbacks', async () => {
    // The carrier goes away: node-c accepts messages it cannot send, and holds them when it stops.
    const port = smscPort;
    await smsc.stop();
    await waitUntil(() => nodes.every((n) => !n.daemon.connectors.get('smsc')!.isUp()), 10_000, 'bind lost');
    const stopped = nodes.pop()!;
    const sent = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      const reply = await sendSmsAs(stopped.base, TEST_USER, `handover-${i}`, receiver.url('/dlr'));
      expect(reply.code).toBe(200);
      sent.set(reply.smsId!, `handover-${i}`);
    }
    await stopped.stop();
    // The carrier's ids go on where they were (a real SMSC does not hand out an id again within minutes).
    const back = new SmscSimulator({ port, idFormat: 'hex', firstId: 0x100000, receiptDelayMs: 20, log: silentLogger() });
    await back.start();
    try {
      await waitUntil(
        () => [...sent.keys()].every((id) => finalCallbacks().get(id) === 1),
        30_000,
        'the handed-over messages sent and reported by node-a and node-b',
      );
      expect(
        back.received
          .filter((r) => r.text.startsWith('handover-'))
          .map((r) => r.text)
          .sort(),
      ).toEqual([...sent.values()].sort());
    } finally {
      await back.stop();
    }
  });
});
