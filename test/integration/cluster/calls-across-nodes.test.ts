/**
 * Calls in a cluster with the built-in SIP engine (issue 17, item 6): each node is its own SIP endpoint and
 * runs its own calls; ListActiveCalls on any node shows every node's, and Hangup through the node that does
 * not run the call ends it (the node that got it asks the others; the owner does the work).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { listActiveCalls, ozekiCallCommand } from '../../helpers/ozeki-client.js';
import { OzmlApp } from '../../helpers/ozml-app.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { freeUdpPort, runSipp, sippAvailable } from '../../helpers/sipp.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';

const missing = postgresMissing() ?? (sippAvailable() ? null : 'sipp is not installed (Debian: sip-tester)');
const app = new OzmlApp();
const dir = tempDir('telenode-calls-cluster-');
let server: PgServer;
type Node = Awaited<ReturnType<typeof startDaemon>>;
const nodes: Node[] = [];

const api = (node: Node, fields: Record<string, string>) => ozekiCallCommand(node.base, fields);
const callsOn = async (node: Node) => ({ Call: await listActiveCalls(node.base) });

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  const url = await server.createDatabase();
  await app.start();
  app.on('/incoming', '<Response><UserInput Timeout="60"><Inputs><Input Key="9"><Hangup/></Input></Inputs></UserInput></Response>');
  for (const id of ['node-a', 'node-b']) {
    nodes.push(
      await startDaemon({
        store: { type: 'postgres', url, poolSize: 6 },
        node: { id, leaseSeconds: 3 },
        voice: { builtin: { port: 0 }, routes: [{ match: '*', url: app.url('/incoming') }] },
      }),
    );
  }
});

afterAll(async () => {
  for (const node of nodes.splice(0)) await node.stop();
  await app.stop();
  await server?.stop();
  dir.remove();
});

describe.skipIf(missing)('calls on two nodes of one cluster', () => {
  it("lists node-a's call on node-b, and node-b's Hangup ends it", async () => {
    const [a, b] = nodes as [Node, Node];
    const sipPort = Number(a.daemon.voice!.engine.status().listen[0]!.split(':').at(-1));
    const receiver = await RtpReceiver.start();
    const sipp = runSipp({
      scenario: 'uac-listen.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { rtp_port: receiver.port, caller: '+3630777', codec: 0 },
      workDir: dir.path,
    });
    try {
      let callId = '';
      await waitUntil(
        async () => {
          // Answered: a Hangup while it still rings rejects it (480) instead of ending it with a BYE. The first call
          // after a start also waits for the media worker (decision 0113), so listing can come well before answering.
          callId = (await callsOn(b)).Call?.find((c) => c['Source'] === '+3630777' && c['CallState'] === 'InCall')?.['CallId'] ?? '';
          return callId !== '';
        },
        15_000,
        "node-a's answered call in node-b's ListActiveCalls",
      );
      expect((await callsOn(a)).Call?.map((c) => c['CallId'])).toContain(callId);
      const hangup = await api(b, { command: 'Hangup', CallId: callId });
      expect(hangup.Code).toBe('200');
      const result = await sipp.done;
      expect(result.code, result.errors || result.stdout).toBe(0); // the BYE came
      await waitUntil(async () => (await callsOn(b)).Call?.length === 0, 10_000, 'no active calls left');
      expect((await api(b, { command: 'Hangup', CallId: callId })).Code).toBe('601');
    } finally {
      sipp.kill();
      receiver.close();
    }
  });
});
