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
import { listenOnLoopback } from '../../helpers/ports.js';
import { postgresMissing } from '../../helpers/postgres.js';
import { startSoloPostgresNode, type SoloPostgresNode } from '../../helpers/solo-postgres-node.js';
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
let cutter: CommitCutter;
let solo: SoloPostgresNode;

beforeAll(async () => {
  if (missing) return;
  solo = await startSoloPostgresNode({
    store: { queryTimeoutMs: 2000 },
    leaseSeconds: 5,
    databaseUrl: async (url, server) => {
      cutter = new CommitCutter(server.port);
      return url.replace(`:${server.port}/`, `:${await cutter.start()}/`);
    },
  });
});

afterAll(async () => {
  await solo?.stop();
  await cutter?.stop();
});

describe.skipIf(missing)('the connection to PostgreSQL cut right after a COMMIT', () => {
  it('answers as the server committed — accepted — and sends each message once', async () => {
    const { smsc, send } = solo;
    const warmUp = await Promise.all(Array.from({ length: 10 }, (_, i) => send(`warm-${i}`)));
    expect(warmUp.map((r) => r.reply.code)).toEqual(Array(10).fill(200));

    cutter.armed = true;
    const replies = (await Promise.all(Array.from({ length: 10 }, (_, i) => send(`cut-${i}`)))).map((r) => r.reply);
    expect(cutter.cuts).toBe(1);
    expect(replies.map((r) => r.code)).toEqual(Array(10).fill(200));

    const ids = replies.map((r) => r.smsId!);
    await waitUntil(() => ids.every((id) => solo.reportedIds().has(id)), 30_000, 'a final callback for each');
    for (let i = 0; i < 10; i++) expect(smsc.received.filter((r) => r.text === `cut-${i}`)).toHaveLength(1);
  });
});
