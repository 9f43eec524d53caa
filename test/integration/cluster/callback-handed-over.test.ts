/**
 * A callback another node stores under an order key this node holds is sent by this node as soon as that node's
 * transaction commits, not at this node's next sweep (cluster-repo.ts, `callbacks:<node>:<id>`). Inbound SMS to one
 * number share an order key, and with a cluster's binds spread over its nodes they arrive on any node: the one that
 * holds the number's pending callbacks sends the next one too, after them. Its reader reads new callbacks above the
 * highest id it has read, so one whose id was given out before a higher one was read, and committed after, used to
 * wait for the sweep (5 s by default; an hour here).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { createPool, migratePostgres } from '../../../src/store/postgres/pool.js';
import { PgExecutor, type TxConnection } from '../../../src/store/postgres/executor.js';
import { WebhookRepo } from '../../../src/store/webhook-repo.js';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil } from '../../helpers/temp-dir.js';
import { smscConnector } from '../../helpers/cluster-connector.js';

const missing = postgresMissing();
const smsc = new SmscSimulator({ port: 0, log: silentLogger() });
let server: PgServer;
let url: string;
let node: Awaited<ReturnType<typeof startDaemon>> | null = null;

/** IncomingSMS callbacks as they arrive; the answer to the one whose text is `held` waits until released. */
const arrived: Array<{ to: string; text: string }> = [];
const held: { text: string; release: (() => void) | null } = { text: 'first', release: null };
const receiver = createServer((req, res: ServerResponse) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    const form = new URLSearchParams(body);
    arrived.push({ to: form.get('Recipient') ?? '', text: form.get('Message') ?? '' });
    if (form.get('Message') === held.text) held.release = () => res.end('OK');
    else res.end('OK');
  });
});

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  url = await server.createDatabase();
  await smsc.start();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const mo = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/mo`;
  node = await startDaemon({
    store: { type: 'postgres', url, poolSize: 4 },
    node: { id: 'node-a' },
    connectors: [smscConnector(smsc.port, { systemId: 'node-a' })],
    sms: { inbound: { url: mo } },
    webhooks: { sweepSeconds: 3600 },
  });
  await waitUntil(() => smsc.bindCount === 1, 30_000, 'node-a bound');
});

afterAll(async () => {
  held.release?.();
  await node?.stop();
  receiver.closeAllConnections();
  receiver.close();
  await smsc.stop();
  await server?.stop();
});

describe.skipIf(missing)('a callback stored by another node under an order key this node holds', () => {
  it('is sent by this node right after the one before it, though its id is below the last one this node read', async () => {
    // node-a holds the number's first inbound callback: sent, its answer held.
    await smsc.sendMo({ from: '+36201111111', to: '+3612000100', text: 'first', systemId: 'node-a' });
    await waitUntil(() => held.release !== null, 20_000, 'the first callback at the receiver');

    // node-b stores the next one for the same number, as its inbound path would, in a transaction it commits later.
    const pool = createPool({ url, poolSize: 1 });
    try {
      await migratePostgres(pool);
      const tx = new AsyncLocalStorage<TxConnection>();
      const nodeB = new WebhookRepo(new PgExecutor(pool, tx), 'node-b');
      const client = await pool.connect();
      await client.query('BEGIN');
      const connection: TxConnection = { client, open: true };
      await tx.run(connection, () =>
        nodeB.insert(
          {
            orderKey: 'inbound:+3612000100',
            kind: 'IncomingSMS',
            url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/mo`,
            contentType: 'application/x-www-form-urlencoded',
            body: 'Recipient=%2B3612000100&Message=second',
          },
          Date.now(),
        ),
      );

      // Meanwhile node-a reads a higher id: another number's callback, stored, read and sent.
      await smsc.sendMo({ from: '+36201111111', to: '+3612000200', text: 'other', systemId: 'node-a' });
      await waitUntil(() => arrived.some((a) => a.text === 'other'), 20_000, 'the other number’s callback');

      await client.query('COMMIT');
      connection.open = false;
      client.release();
    } finally {
      await pool.end();
    }
    // node-a has read it (its pending callbacks: the first, in flight, and this one) before the first is answered.
    await waitUntil(async () => /^telenode_webhook_pending 2$/m.test(await (await fetch(`${node!.base}/metrics`)).text()), 20_000, 'node-a holding the second');
    held.release!();
    await waitUntil(() => arrived.some((a) => a.text === 'second'), 20_000, 'the second callback, sent by node-a');
    const forNumber = arrived.filter((a) => a.to === '+3612000100').map((a) => a.text);
    expect(forNumber).toEqual(['first', 'second']);
  }, 90_000);
});
