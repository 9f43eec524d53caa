/**
 * Callbacks on PostgreSQL reach the dispatcher's next read even when their transactions commit out of id order
 * (store/unread-callback-ids.ts). The daemon commits several batches at once on PostgreSQL; a callback stored by a
 * batch that commits after a later one was read used to wait for the dispatcher's sweep (5 s by default).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { createPool, migratePostgres } from '../../../src/store/postgres/pool.js';
import { PgExecutor, type TxConnection } from '../../../src/store/postgres/executor.js';
import { WebhookRepo } from '../../../src/store/webhook-repo.js';

const missing = postgresMissing();
let server: PgServer;
const pools: Pool[] = [];

beforeAll(async () => {
  if (!missing) server = await startPostgres();
});
afterAll(async () => {
  for (const pool of pools) await pool.end();
  await server?.stop();
});

const request = (orderKey: string) => ({ orderKey, kind: 't', url: 'http://127.0.0.1:9/', contentType: 'text/plain', body: orderKey });

/** A store as the daemon opens it: one executor for everything, transactions found through AsyncLocalStorage. */
async function openStore() {
  const pool = createPool({ url: await server.createDatabase(), poolSize: 4 });
  pools.push(pool);
  await migratePostgres(pool);
  const tx = new AsyncLocalStorage<TxConnection>();
  const sql = new PgExecutor(pool, tx);
  /** Opens a transaction on its own connection; `insert` runs in it; `commit` ends it. */
  async function transaction(repo: WebhookRepo) {
    const client = await pool.connect();
    await client.query('BEGIN');
    const connection: TxConnection = { client, open: true };
    return {
      insert: (orderKey: string) => tx.run(connection, () => repo.insert(request(orderKey), Date.now())),
      commit: async () => {
        await client.query('COMMIT');
        connection.open = false;
        client.release();
      },
    };
  }
  return { sql, transaction };
}

describe.skipIf(missing)('callbacks committed out of id order (PostgreSQL)', () => {
  it('a callback whose transaction committed after a higher id was read comes with the next read, once', async () => {
    const { sql, transaction } = await openStore();
    const repo = new WebhookRepo(sql);
    const slow = await transaction(repo);
    const early = await slow.insert('slow'); // its id first, its commit last
    const fast = await transaction(repo);
    const later = await fast.insert('fast');
    await fast.commit();
    expect(later).toBeGreaterThan(early);

    const first = await repo.pendingAfter(0);
    expect(first.map((r) => r.id)).toEqual([later]);
    // Nothing new yet: the slow transaction is still open.
    expect(await repo.pendingAfter(later)).toEqual([]);
    await slow.commit();
    const third = await repo.insert(request('third'), Date.now());
    // The late one comes with the next read above `later`, beside the new one; `later` itself is not read again.
    expect((await repo.pendingAfter(later)).map((r) => [r.id, r.body])).toEqual([
      [early, 'slow'],
      [third, 'third'],
    ]);
    expect(await repo.pendingAfter(third)).toEqual([]);
  });

  it('the same for a node of a cluster, which reads only the callbacks it holds', async () => {
    const { sql, transaction } = await openStore();
    const repo = new WebhookRepo(sql, 'node-a');
    const slow = await transaction(repo);
    const early = await slow.insert('slow');
    const later = await repo.insert(request('fast'), Date.now());
    expect((await repo.pendingOf('node-a', 0)).map((r) => r.id)).toEqual([later]);
    await slow.commit();
    expect((await repo.pendingOf('node-a', later)).map((r) => r.id)).toEqual([early]);
    expect(await repo.pendingOf('node-a', later)).toEqual([]);
  });
});
