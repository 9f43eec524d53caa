/**
 * The connection to PostgreSQL breaks right after a COMMIT went out — the server or the network failed at that
 * instant. The server has committed; the node never hears so. A "try later" would be wrong here: the messages are
 * stored and will be sent, and the client's retry would send them twice. The node asks the server whether the batch
 * committed (its commit marker, decision 0124) and answers accordingly: accepted, each message sent once.
 *
 * A TCP proxy between the node and PostgreSQL reads the protocol's frames (PostgreSQL's Frontend/Backend protocol,
 * "Message Formats") and, once armed, forwards the COMMIT of the next transaction that inserted a message, then
 * closes both sides before the answer can come back.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { sendSmsAs } from '../../helpers/ozeki-client.js';
import { listenOnLoopback } from '../../helpers/ports.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil } from '../../helpers/temp-dir.js';

/** Cuts the connection after the COMMIT of the next transaction that inserted into `messages`, once armed. */
class CommitCutter {
  armed = false;
  cuts = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly upstreamPort: number) {}

  async start(): Promise<number> {
    this.server = createServer((client) => this.relay(client));
    return listenOnLoopback(this.server);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private relay(client: Socket): void {
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    const statements = new Map<string, string>(); // prepared statement name → its SQL (Parse)
    let insertedMessage = false;
    let startup = true;
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        // The startup message has no type byte; every later one: type, Int32 length (itself included), body.
        const header = startup ? 0 : 1;
        if (pending.length < header + 4) return;
        const size = header + pending.readUInt32BE(header);
        if (pending.length < size) return;
        const frame = pending.subarray(0, size);
        pending = pending.subarray(size);
        upstream.write(frame);
        if (startup) {
          startup = false;
          continue;
        }
        const type = String.fromCharCode(frame[0]!);
        const strings = frame.subarray(5).toString('utf8').split('\0');
        if (type === 'P') statements.set(strings[0]!, strings[1]!); // Parse: name, query
        if (type === 'B' && /INSERT INTO messages\b/.test(statements.get(strings[1]!) ?? '')) insertedMessage = true; // Bind: portal, statement
        if (type === 'Q' && strings[0] === 'BEGIN') insertedMessage = false;
        if (type === 'Q' && strings[0] === 'COMMIT' && insertedMessage && this.armed) {
          this.armed = false;
          this.cuts++;
          upstream.end(); // the server reads the COMMIT, then the end of the connection
          client.destroy(); // the node hears nothing back
          return;
        }
      }
    });
  }
}

const missing = postgresMissing();
const smsc = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
const receiver = new HttpReceiver();
let server: PgServer;
let cutter: CommitCutter;
let node: Awaited<ReturnType<typeof startDaemon>>;

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  cutter = new CommitCutter(server.port);
  const proxyPort = await cutter.start();
  const url = (await server.createDatabase()).replace(`:${server.port}/`, `:${proxyPort}/`);
  const { port } = await smsc.start();
  await receiver.start();
  node = await startDaemon({
    store: { type: 'postgres', url, poolSize: 6, queryTimeoutMs: 2000 },
    node: { id: 'solo', leaseSeconds: 5 },
    connectors: [{ id: 'smsc', type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', window: 20 }],
  });
  await waitUntil(() => node.daemon.connectors.get('smsc')!.isUp(), 15_000, 'bind');
});

afterAll(async () => {
  await node?.stop();
  await cutter?.stop();
  await smsc.stop();
  await receiver.stop();
  await server?.stop();
});

describe.skipIf(missing)('the connection to PostgreSQL cut right after a COMMIT', () => {
  it('answers as the server committed — accepted — and sends each message once', async () => {
    const warmUp = await Promise.all(Array.from({ length: 10 }, (_, i) => sendSmsAs(node.base, TEST_USER, `warm-${i}`, receiver.url('/dlr'))));
    expect(warmUp.map((r) => r.code)).toEqual(Array(10).fill(200));

    cutter.armed = true;
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => sendSmsAs(node.base, TEST_USER, `cut-${i}`, receiver.url('/dlr'))));
    expect(cutter.cuts).toBe(1);
    expect(replies.map((r) => r.code)).toEqual(Array(10).fill(200));

    const ids = replies.map((r) => r.smsId!);
    const finals = () => new Set(receiver.requests.filter((q) => q.form.get('NotificationName') === 'SMSDeliveryReport').map((q) => q.form.get('SmsId')!));
    await waitUntil(() => ids.every((id) => finals().has(id)), 30_000, 'a final callback for each');
    for (let i = 0; i < 10; i++) expect(smsc.received.filter((r) => r.text === `cut-${i}`)).toHaveLength(1);
  });
});
