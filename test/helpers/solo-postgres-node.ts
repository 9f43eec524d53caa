/**
 * One node on a throw-away PostgreSQL, with `telenode smsc-sim` and a callback receiver, bound and ready: what the
 * PostgreSQL fault tests (an outage, a hang, a COMMIT cut off) each start, then break in their own way.
 */
import { SmscSimulator } from '../../src/tools/smsc-sim.js';
import { silentLogger } from '../../src/shared/log.js';
import { HttpReceiver } from './http-receiver.js';
import { TEST_USER, startDaemon } from './in-process-daemon.js';
import { deliveryReportIds, sendSmsAs } from './ozeki-client.js';
import { startPostgres, type PgServer } from './postgres.js';
import { waitUntil } from './temp-dir.js';

export interface SoloPostgresNode {
  server: PgServer;
  smsc: SmscSimulator;
  receiver: HttpReceiver;
  node: Awaited<ReturnType<typeof startDaemon>>;
  /** An Ozeki SendSms of `text` with a delivery report URL at the receiver, and how long its answer took. */
  send(text: string): Promise<{ text: string; reply: Awaited<ReturnType<typeof sendSmsAs>>; ms: number }>;
  /** The SmsIds the receiver has had an SMSDeliveryReport for. */
  reportedIds(): Set<string>;
  /** Everything stopped and removed (a paused server resumed first). */
  stop(): Promise<void>;
}

export async function startSoloPostgresNode(
  options: {
    /** Store settings over the test's defaults (poolSize 6). */
    store?: Record<string, unknown>;
    leaseSeconds?: number;
    /** The URL the node is given, from the new database's (a proxy in between). */
    databaseUrl?: (url: string, server: PgServer) => string | Promise<string>;
  } = {},
): Promise<SoloPostgresNode> {
  const server = await startPostgres();
  const smsc = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
  const receiver = new HttpReceiver();
  let node: SoloPostgresNode['node'] | undefined;
  try {
    const created = await server.createDatabase();
    const url = options.databaseUrl ? await options.databaseUrl(created, server) : created;
    const { port } = await smsc.start();
    await receiver.start();
    node = await startDaemon({
      store: { type: 'postgres', url, poolSize: 6, ...options.store },
      node: { id: 'solo', leaseSeconds: options.leaseSeconds ?? 3 },
      connectors: [
        { id: 'smsc', type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', window: 20, reconnect: { initialMs: 100, maxMs: 500 } },
      ],
      webhooks: { sweepSeconds: 0.5, backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 } },
    });
    const started = node;
    await waitUntil(() => started.daemon.connectors.get('smsc')!.isUp(), 15_000, 'bind');
  } catch (err) {
    await node?.stop();
    await smsc.stop();
    await receiver.stop();
    await server.stop();
    throw err;
  }
  return soloNode(server, smsc, receiver, node);
}

function soloNode(server: PgServer, smsc: SmscSimulator, receiver: HttpReceiver, node: SoloPostgresNode['node']): SoloPostgresNode {
  return {
    server,
    smsc,
    receiver,
    node,
    async send(text) {
      const started = Date.now();
      const reply = await sendSmsAs(node.base, TEST_USER, text, receiver.url('/dlr'));
      return { text, reply, ms: Date.now() - started };
    },
    reportedIds() {
      return deliveryReportIds(receiver);
    },
    async stop() {
      server.resume();
      await node.stop();
      await smsc.stop();
      await receiver.stop();
      await server.stop();
    },
  };
}
