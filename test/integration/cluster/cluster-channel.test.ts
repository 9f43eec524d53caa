/**
 * A cluster's NOTIFY channel (decision 0136) is its schema's: NOTIFY channels belong to the database, so without this
 * two clusters in one database, each in its own schema (a URL with `options=-c search_path=<schema>`), or a node and
 * its warm-up copy (decision 0117), would wake each other with every hand-over. The default schema keeps the name
 * the nodes of session 39 listen on.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/shared/log.js';
import { ClusterRepo, CLUSTER_CHANNEL_SQL } from '../../../src/store/cluster-repo.js';
import { PgExecutor, type TxConnection } from '../../../src/store/postgres/executor.js';
import { PgListener } from '../../../src/store/postgres/listener.js';
import { createPool, migratePostgres } from '../../../src/store/postgres/pool.js';
import { postgresMissing, queryOnce, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const missing = postgresMissing();
let server: PgServer;

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
});

/** `url` with `schema` as its search_path, as a user would write it. */
function inSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

describe.skipIf(missing)("a cluster's channel is its schema's", () => {
  it('the default schema keeps telenode_cluster; a node in another schema hears its own cluster only', async () => {
    const url = await server.createDatabase();
    const schemas = ['cluster_a', `cluster_b_${'x'.repeat(50)}`]; // the second too long to be named in full
    await queryOnce(url, schemas.map((s) => `CREATE SCHEMA ${s}`).join('; '));
    const pools = [url, ...schemas.map((s) => inSchema(url, s))].map((u) => createPool({ url: u, poolSize: 1 }));
    const listeners: PgListener[] = [];
    try {
      const channels: string[] = [];
      for (const pool of pools) {
        await migratePostgres(pool);
        channels.push((await pool.query<{ channel: string }>(`SELECT ${CLUSTER_CHANNEL_SQL} AS channel`)).rows[0]!.channel);
      }
      // Nodes of session 39 listen on this name: an upgraded node in the default schema must still reach them.
      expect(channels[0]).toBe('telenode_cluster');
      expect(channels[1]).toBe('telenode_cluster.cluster_a');
      expect(channels[2]).toMatch(/^telenode_cluster\.[0-9a-f]{32}$/);

      const heard: string[][] = [[], [], []];
      for (const [i, channel] of channels.entries()) {
        const listener = new PgListener({ url, channel, applicationName: 'test', connectTimeoutMs: 5000, log: silentLogger() });
        listener.onNotify((payload) => payload !== null && heard[i]!.push(payload));
        await listener.start();
        listeners.push(listener);
      }
      const repos = pools.map((pool) => new ClusterRepo(new PgExecutor(pool, new AsyncLocalStorage<TxConnection>(), { queryTimeoutMs: 5000 })));
      // In this order: PostgreSQL delivers notifications in commit order, so by the time the last is heard the
      // earlier ones have been, wherever they went.
      await repos[0]!.leave('node-public');
      await repos[1]!.leave('node-a');
      await repos[2]!.leave('node-b');
      await waitUntil(() => heard[2]!.length > 0, 10_000, 'the long-named schema’s own notification');
      expect(heard).toEqual([['left:node-public'], ['left:node-a'], ['left:node-b']]);
    } finally {
      for (const listener of listeners) await listener.stop();
      for (const pool of pools) await pool.end();
    }
  });
});
