/**
 * Modems are local (issue 17, item 4): a modem connector pinned with `node:` is served by the node whose machine
 * the modem is plugged into, and only there; the other node opens no port and hands the connector's messages
 * over. The route's order holds across the cluster: a message whose preferred connector is up on another node
 * goes to that node, not out through this node's backup carrier; when that node is gone, the backup takes it.
 * Two nodes on one PostgreSQL, a modem simulator on a socat pty, an SMSC simulator for the backup carrier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { SimulatedModem } from '../../helpers/simulated-modem.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const missing = postgresMissing();
const smsc = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
let server: PgServer;
let modem: SimulatedModem;
type Node = Awaited<ReturnType<typeof startDaemon>>;
let a: Node;
let b: Node | null = null;

interface Health {
  connectors: Array<{ id: string; up: boolean; servedBy?: string }>;
  cluster: { upOnOtherNodes: string[] };
}
const health = async (node: Node) => (await (await fetch(`${node.base}/health`)).json()) as Health;

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  const url = await server.createDatabase();
  const { port } = await smsc.start();
  modem = await SimulatedModem.open({ reportDelayMs: 30 });
  const config = (id: string) => ({
    store: { type: 'postgres', url, poolSize: 4 },
    node: { id, leaseSeconds: 3 },
    connectors: [
      {
        id: 'gsm',
        type: 'modem',
        node: 'node-b',
        port: modem.path,
        ownNumber: '+36201112222',
        commandTimeoutMs: 1000,
        healthSeconds: 0.5,
        reconnect: { initialMs: 100, maxMs: 500 },
      },
      { id: 'carrier', type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', binds: 2, reconnect: { initialMs: 100, maxMs: 500 } },
    ],
    routes: [{ name: 'modem first', connectors: ['gsm', 'carrier'] }],
    sms: { retry: { initialMs: 100, maxMs: 500, maxAgeHours: 1 } },
  });
  a = await startDaemon(config('node-a'));
  b = await startDaemon(config('node-b'));
  // Each node holds one of the carrier's two binds, so node-a could send through it itself.
  await waitUntil(() => smsc.bindCount === 2, 30_000, 'both carrier binds');
  await waitUntil(() => b!.daemon.connectors.get('gsm')!.isUp(), 30_000, "node-b's modem ready");
  await waitUntil(async () => (await health(a)).cluster.upOnOtherNodes.includes('gsm'), 30_000, "node-a seeing node-b's modem up");
}, 120_000);

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await modem?.close();
  await smsc.stop();
  await server?.stop();
});

const send = async (node: Node, recipient: string) => {
  const query = sendSmsQuery({ Username: TEST_USER.username, Password: TEST_USER.password, Recipient: recipient, Message: `to ${recipient}` });
  expect((await ozekiGet(node.base, query)).code).toBe(200);
};
const digits = (number: string) => number.replace(/^\+/, '');
const atModem = (recipients: string[]) => modem.sim.sent.filter((s) => recipients.includes(`+${digits(s.pdu.recipient.number)}`));
const atCarrier = (recipients: string[]) => smsc.received.filter((s) => recipients.includes(`+${digits(s.destination)}`));

describe.skipIf(missing)('a modem connector pinned to its node, in a cluster of two', () => {
  it('is served only by its node: the other opens no port and hands its messages over, not to its backup carrier', async () => {
    const gsmOnA = (await health(a)).connectors.find((c) => c.id === 'gsm')!;
    expect(gsmOnA).toMatchObject({ up: false, servedBy: 'node-b' });
    const recipients = Array.from({ length: 10 }, (_, i) => `+3630100${String(i).padStart(4, '0')}`);
    for (const recipient of recipients) await send(a, recipient);
    await waitUntil(() => atModem(recipients).length === recipients.length, 60_000, 'all ten through the modem');
    expect(atCarrier(recipients)).toEqual([]);
  }, 90_000);

  it('once its node is gone, the next connector of the route takes the messages', async () => {
    await b!.stop();
    b = null;
    await waitUntil(async () => !(await health(a)).cluster.upOnOtherNodes.includes('gsm'), 30_000, 'node-a seeing the modem gone');
    const recipients = Array.from({ length: 5 }, (_, i) => `+3630200${String(i).padStart(4, '0')}`);
    for (const recipient of recipients) await send(a, recipient);
    await waitUntil(() => atCarrier(recipients).length === recipients.length, 60_000, 'all five at the carrier');
    expect(atModem(recipients)).toEqual([]);
  }, 90_000);
});
