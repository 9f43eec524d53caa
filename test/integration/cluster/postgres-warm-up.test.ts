/**
 * A node on PostgreSQL warms up on PostgreSQL (decision 0117 as amended): its throwaway copy runs in a schema of its
 * own in the node's database, so the PostgreSQL store's code is warm for the first users too. What a user must be
 * able to rely on: none of it is left in their database or reaches their cluster, a copy killed mid-way leaves
 * nothing that lasts, and a role that may not create a schema still starts, warmed up on SQLite.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { CLI, startDaemonProcess, writeConfig, type DaemonProcess } from '../../helpers/daemon-process.js';
import { parseOzekiXml, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { postgresMissing, queryOnce, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';

const missing = postgresMissing();
const smsc = new SmscSimulator({ port: 0, receiptDelayMs: 0, log: silentLogger() });
const dir = tempDir('telenode-pg-warm-up-');
let server: PgServer;
let daemon: DaemonProcess | null = null;

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  await smsc.start();
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await smsc.stop();
  await server?.stop();
  dir.remove();
});

const warmUpSchemas = async (url: string) =>
  (await queryOnce<{ nspname: string }>(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'telenode\\_warm\\_up\\_%' ORDER BY nspname")).map(
    (r) => r.nspname,
  );

function logged(process: DaemonProcess, msg: string): Record<string, unknown> | undefined {
  return process.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry['msg'] === msg);
}

async function startNode(url: string, id: string): Promise<DaemonProcess> {
  const config = writeConfig(
    dir.path,
    {
      http: { host: '127.0.0.1', port: 0 },
      log: { level: 'debug', format: 'json' },
      store: { type: 'postgres', url, poolSize: 4, path: `${dir.path}/${id}/telenode.db` },
      node: { id },
      users: [{ username: 'u', passwordHash: hashPassword('pw') }],
      connectors: [{ id: 'carrier', type: 'smpp', host: '127.0.0.1', port: smsc.port, systemId: 'tn', password: 'pw' }],
      warmUp: { messages: 40 },
    },
    `${id}.yaml`,
  );
  return startDaemonProcess(config);
}

/** A login role that may use the public schema, plus `grants` (`$db`, `$role` filled in); the URL as that role. */
async function asRole(url: string, role: string, grants: string): Promise<string> {
  const database = `"${new URL(url).pathname.slice(1)}"`;
  await queryOnce(
    url,
    `CREATE ROLE ${role} LOGIN PASSWORD 'role-pw'; GRANT USAGE, CREATE ON SCHEMA public TO ${role}; ${grants.replaceAll('$db', database).replaceAll('$role', role)}`,
  );
  return Object.assign(new URL(url), { username: role, password: 'role-pw' }).toString();
}

/** What `telenode check-config` prints for a node on `url`. */
async function checkConfig(url: string): Promise<string> {
  const config = writeConfig(dir.path, { store: { type: 'postgres', url, path: `${dir.path}/check/telenode.db` } }, 'check.yaml');
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'check-config', config]);
  return stdout;
}

async function sendFirst(node: DaemonProcess, text: string): Promise<void> {
  const query = sendSmsQuery({ Username: 'u', Password: 'pw', Recipient: '+36301234567', Message: text });
  expect(parseOzekiXml(await (await fetch(`${node.base}/api?${query}`)).text()).code).toBe(200);
  await waitUntil(() => smsc.received.some((m) => m.text === text), 20_000, `${text} at the carrier`);
}

describe.skipIf(missing)('a node on PostgreSQL warms up in a schema of its own', () => {
  it('leaves nothing in the database and nothing in the cluster; a schema a killed copy left an hour ago is dropped', async () => {
    const url = await server.createDatabase();
    // One a copy left behind long ago (its name says when it was made), and one a node may be warming up in now.
    const young = `telenode_warm_up_${Math.floor(Date.now() / 1000)}_0a0b0c0d`;
    await queryOnce(url, 'CREATE SCHEMA telenode_warm_up_1000000000_deadbeef; CREATE TABLE telenode_warm_up_1000000000_deadbeef.messages (id TEXT)');
    await queryOnce(url, `CREATE SCHEMA ${young}`);
    const received = smsc.received.length;

    expect(await checkConfig(url)).not.toContain('note:');
    daemon = await startNode(url, 'node-a');
    expect(logged(daemon, 'warmed up')).toMatchObject({ messages: 40, store: 'postgres' });
    expect(smsc.received.length).toBe(received);
    expect(await warmUpSchemas(url)).toEqual([young]);
    const health = (await (await fetch(`${daemon.base}/health`)).json()) as { cluster: { nodes: Array<{ id: string }> } };
    expect(health.cluster.nodes.map((n) => n.id)).toEqual(['node-a']);

    await sendFirst(daemon, 'first on postgres');
    expect(await queryOnce(url, 'SELECT text FROM messages')).toEqual([{ text: 'first on postgres' }]);
    await daemon.kill('SIGTERM');
    daemon = null;
  }, 90_000);

  it("another role's schema left behind, which this role may not drop, does not keep it from warming up on PostgreSQL", async () => {
    const url = await server.createDatabase();
    const builderUrl = await asRole(url, `builder_${process.pid}`, 'GRANT CREATE ON DATABASE $db TO $role');
    await queryOnce(url, 'CREATE SCHEMA telenode_warm_up_1000000000_0badf00d');

    daemon = await startNode(builderUrl, 'node-c');
    expect(logged(daemon, 'warmed up')).toMatchObject({ messages: 40, store: 'postgres' });
    expect(await warmUpSchemas(url)).toEqual(['telenode_warm_up_1000000000_0badf00d']);
    await daemon.kill('SIGTERM');
    daemon = null;
  }, 90_000);

  it('a role that may not create a schema starts all the same, warmed up on SQLite', async () => {
    const url = await server.createDatabase();
    const clerkUrl = await asRole(url, `clerk_${process.pid}`, 'REVOKE CREATE ON DATABASE $db FROM PUBLIC');

    // check-config says so beforehand.
    const checked = await checkConfig(clerkUrl);
    expect(checked).toContain('may not create schemas in the database, so the warm-up at start runs on SQLite');
    expect(checked).not.toContain('role-pw');
    daemon = await startNode(clerkUrl, 'node-b');
    expect(logged(daemon, 'cannot create a schema for the warm-up; it runs on SQLite')).toBeDefined();
    expect(logged(daemon, 'warmed up')).toMatchObject({ messages: 40, store: 'sqlite' });
    expect(await warmUpSchemas(url)).toEqual([]);
    await sendFirst(daemon, 'first as clerk');
    await daemon.kill('SIGTERM');
    daemon = null;
  }, 90_000);
});
