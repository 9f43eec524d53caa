/**
 * A schema of its own in the node's database, for a throwaway copy of the node (the warm-up, decision 0117): the
 * copy's tables, rows and cluster channel are its own (CLUSTER_CHANNEL_SQL), and the schema goes, with everything
 * in it, when the copy is done. A copy that never got to drop its schema (the node was killed while warming up)
 * leaves one behind; the next warm-up in that database drops those older than an hour (a younger one may be
 * another node's, warming up now).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const PREFIX = 'telenode_warm_up_';
/** Older than this, a scratch schema is one its copy left behind. */
const LEFT_BEHIND_AFTER_S = 3600;

export interface ScratchSchema {
  name: string;
  /** The node's URL with the scratch schema as its search_path: every table and channel of the copy is in it. */
  url: string;
  drop(): Promise<void>;
}

/** `url` with `schema` first on the search_path (libpq's `options`, PostgreSQL docs "Connection Strings"). */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  const options = parsed.searchParams.get('options');
  parsed.searchParams.set('options', `${options ? `${options} ` : ''}-c search_path=${schema}`);
  return parsed.toString();
}

/** Creates the schema (the role needs CREATE on the database: without it, this throws). */
export async function createScratchSchema(url: string, connectTimeoutMs: number): Promise<ScratchSchema> {
  const now = Math.floor(Date.now() / 1000);
  const name = `${PREFIX}${now}_${randomBytes(4).toString('hex')}`;
  await withClient(url, connectTimeoutMs, async (client) => {
    const { rows } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE left(nspname, $1) = $2', [PREFIX.length, PREFIX]);
    for (const { nspname } of rows) {
      const createdAt = Number(/^telenode_warm_up_(\d+)_/.exec(nspname)?.[1]);
      // Best effort: one this role may not drop (another role's) must not keep this node from warming up.
      if (now - createdAt > LEFT_BEHIND_AFTER_S) await client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(nspname)} CASCADE`).catch(() => undefined);
    }
    await client.query(`CREATE SCHEMA ${client.escapeIdentifier(name)}`);
  });
  return {
    name,
    url: withSearchPath(url, name),
    drop: () => withClient(url, connectTimeoutMs, (client) => client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(name)} CASCADE`)),
  };
}

async function withClient(url: string, connectTimeoutMs: number, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, application_name: 'telenode warm-up' });
  client.on('error', () => undefined); // a connection lost in between fails the query under way, which is what reports
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
