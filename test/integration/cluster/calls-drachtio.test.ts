/**
 * Calls across nodes with the drachtio engine (issue 17, item 6): two nodes of one cluster connect to one
 * drachtio-server, which spreads the INVITEs over the applications connected to it (its own distribution; no
 * SIP proxy of ours). 40 calls land on both nodes; ListActiveCalls on either node lists all 40; Hangup through
 * the node that does not run a call ends it (the owner sends the BYE). Runs where a drachtio-server is
 * reachable (DRACHTIO_HOST, DRACHTIO_PORT, DRACHTIO_SECRET, DRACHTIO_SIP, as the drachtio call suite);
 * skipped with a message otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { listActiveCalls, ozekiCallCommand } from '../../helpers/ozeki-client.js';
import { OzmlApp } from '../../helpers/ozml-app.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { freeUdpPort, runSipp, sippAvailable } from '../../helpers/sipp.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';
import { drachtioFromEnv } from '../../helpers/voice-harness.js';

const CALLS = 40;
const drachtio = drachtioFromEnv();
const missing =
  postgresMissing() ??
  (sippAvailable() ? null : 'sipp is not installed (Debian: sip-tester)') ??
  (drachtio ? null : 'no drachtio-server configured (set DRACHTIO_HOST and DRACHTIO_SIP, as for test/integration/voice/drachtio-calls.test.ts)');
if (missing) console.warn(`[calls-drachtio] skipped: ${missing}`);

const app = new OzmlApp();
const dir = tempDir('telenode-drachtio-cluster-');
let server: PgServer;
type Node = Awaited<ReturnType<typeof startDaemon>>;
const nodes: Node[] = [];

const api = (node: Node, fields: Record<string, string>) => ozekiCallCommand(node.base, fields);
const activeCalls = (node: Node) => listActiveCalls(node.base);
const runsHere = (node: Node) => new Set(node.daemon.voice!.calls.activeCalls.map((call) => call.info.id));

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  const url = await server.createDatabase();
  await app.start();
  app.on('/incoming', '<Response><UserInput Timeout="120"><Inputs><Input Key="9"><Hangup/></Input></Inputs></UserInput></Response>');
  for (const id of ['node-a', 'node-b']) {
    nodes.push(
      await startDaemon({
        store: { type: 'postgres', url, poolSize: 6 },
        node: { id, leaseSeconds: 3 },
        voice: {
          engine: 'drachtio',
          drachtio: { host: drachtio!.host, port: drachtio!.port, secret: drachtio!.secret },
          routes: [{ match: '*', url: app.url('/incoming') }],
        },
      }),
    );
  }
}, 60_000);

afterAll(async () => {
  for (const node of nodes.splice(0)) await node.stop();
  await app.stop();
  await server?.stop();
  dir.remove();
});

describe.skipIf(missing)('two nodes on one drachtio-server', () => {
  it(`spreads ${CALLS} calls over both; either node lists them all and hangs up the other's`, async () => {
    const [a, b] = nodes as [Node, Node];
    const receiver = await RtpReceiver.start();
    const sipp = runSipp({
      scenario: 'uac-listen.xml',
      target: drachtio!.sipTarget,
      localPort: await freeUdpPort(),
      calls: CALLS,
      rate: 20,
      limit: CALLS,
      keys: { rtp_port: receiver.port, caller: '+3630888', codec: 0 },
      workDir: dir.path,
      timeoutSeconds: 120,
    });
    try {
      // Answered, every one: a Hangup while a call still rings rejects it (480) instead of ending it with a BYE.
      const answered = async (node: Node) => (await activeCalls(node)).filter((call) => call['CallState'] === 'InCall').length;
      await waitUntil(async () => (await answered(a)) === CALLS, 60_000, `all ${CALLS} calls answered in node-a's ListActiveCalls`);
      expect((await activeCalls(b)).length).toBe(CALLS);
      const onA = runsHere(a);
      const onB = runsHere(b);
      // drachtio-server handed calls to both applications, and each call runs on exactly one node.
      expect([onA.size > 0, onB.size > 0, onA.size + onB.size]).toEqual([true, true, CALLS]);
      // Every call is hung up through the node that does not run it.
      for (const call of await activeCalls(a)) {
        const through = onA.has(call['CallId']!) ? b : a;
        expect((await api(through, { command: 'Hangup', CallId: call['CallId']! })).Code).toBe('200');
      }
      const result = await sipp.done;
      expect(result.code, result.errors || result.stdout).toBe(0); // every caller got its BYE
      await waitUntil(async () => (await activeCalls(b)).length === 0, 15_000, 'no active calls left');
    } finally {
      sipp.kill();
      receiver.close();
    }
  }, 180_000);
});
