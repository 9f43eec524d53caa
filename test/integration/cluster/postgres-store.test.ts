/**
 * A node on PostgreSQL as an operator sets it up (issue 17, item 1): `telenode
 * migrate` creates the schema and says which version, `check-config` says the
 * database answers (or names it, without the password, when it does not), the
 * daemon starts on it and its log never shows the password, and dead letters
 * are listed and replayed by the CLI from the same database.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/daemon-process.js';
import { freePort } from '../../helpers/kannel.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { ozekiGet, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { createLogger, silentLogger } from '../../../src/shared/log.js';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { WebhookRepo } from '../../../src/store/webhook-repo.js';
import { PG_MIGRATIONS } from '../../../src/store/postgres/migrations.js';
import { smscConnector } from '../../helpers/cluster-connector.js';

const LATEST = PG_MIGRATIONS.at(-1)!.version;

const run = promisify(execFile);
const missing = postgresMissing();
const dir = tempDir('telenode-pg-cli-');
let server: PgServer;

async function telenode(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function configFile(name: string, url: string): string {
  const file = join(dir.path, name);
  writeFileSync(file, `store:\n  type: postgres\n  url: ${url}\nnode:\n  id: node-a\n`);
  return file;
}

beforeAll(async () => {
  if (!missing) server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe.skipIf(missing)('a node on PostgreSQL', () => {
  it('migrate creates the schema once; check-config says the database answers, and names it without the password when it does not', async () => {
    const config = configFile('pg.yaml', await server.createDatabase());
    const before = await telenode(['check-config', config]);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toMatch(/PostgreSQL \d+\.\d+[^,]* at postgres:\/\/telenode:\[redacted\]@127\.0\.0\.1:\d+\/\w+ answers \(no schema yet/);
    expect(before.stdout).toContain('node node-a');
    const first = await telenode(['migrate', '--config', config]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`schema version ${LATEST}$`, 'm'));
    expect((await telenode(['migrate', '--config', config])).stdout).toMatch(new RegExp(`schema version ${LATEST}$`, 'm'));
    expect((await telenode(['check-config', config])).stdout).toContain(`(schema version ${LATEST})`);

    const nobody = configFile('down.yaml', `postgres://telenode:hunter2@127.0.0.1:${await freePort()}/none`);
    const down = await telenode(['check-config', nobody]);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/store\.url: PostgreSQL at postgres:\/\/telenode:\[redacted\]@127\.0\.0\.1:\d+\/none does not answer/);
    expect(down.stderr + down.stdout).not.toContain('hunter2');
  });

  it('runs the daemon on it without logging the password, and the CLI lists and replays its dead letters', async () => {
    const url = (await server.createDatabase()).replace(':secret@', ':s3cr3t-pw@');
    const lines: string[] = [];
    const log = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void lines.push(line) } });
    const probe = new HttpReceiver();
    await probe.start();
    const deadPort = probe.port;
    await probe.stop();
    const env = await startDaemon(
      {
        store: { type: 'postgres', url, poolSize: 4 },
        node: { id: 'node-a' },
        webhooks: { maxAgeHours: 0.5 / 3600, backoff: { initialMs: 50, maxMs: 100, jitter: 0 } },
      },
      { log },
    );
    try {
      const reply = await ozekiGet(
        env.base,
        sendSmsQuery({
          Username: TEST_USER.username,
          Password: TEST_USER.password,
          Recipient: '+36301234567',
          Message: 'hi',
          DeliveryReportURL: `http://127.0.0.1:${deadPort}/dlr`,
        }),
      );
      expect(reply.code).toBe(200);
      const repo = new WebhookRepo(env.daemon.sql);
      const deadline = Date.now() + 15_000;
      while ((await repo.listDead(10)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(lines.join('')).toContain('"node":"node-a"');
      expect(lines.join('')).not.toContain('s3cr3t-pw');
    } finally {
      await env.stop();
    }
    const config = configFile('dead.yaml', url);
    const dead = await telenode(['webhooks', 'dead', '--config', config]);
    expect(dead.code, dead.stderr).toBe(0);
    expect(dead.stdout).toContain('SMSDeliveryReport');
    const replay = await telenode(['webhooks', 'replay', '--all', '--config', config]);
    expect(replay.stdout).toContain('1 dead letter(s) queued again');
    expect((await telenode(['webhooks', 'dead', '--config', config])).stderr).toContain('0 dead letter(s)');
  });

  it('a node that restarts with the same id within the lease sends what it held before (its claims are still its own)', async () => {
    const url = await server.createDatabase();
    // The carrier is reachable only after the restart: the node's first claim pass finds no connector up.
    const port = await freePort();
    const smsc = new SmscSimulator({ port, idFormat: 'hex', receiptDelayMs: 20, log: silentLogger() });
    const first = await startDaemon({ store: { type: 'postgres', url, poolSize: 4 }, node: { id: 'node-r', leaseSeconds: 30 } });
    // Held by node-r, never sent: as if node-r had crashed right after accepting it.
    await first.daemon.sql.run(
      `INSERT INTO messages (id, "user", dialect, sender, recipient, text, status, parts_estimate, encoding, concat_ref, created_at, updated_at, claimed_by)
       VALUES ('held-1', 'u', 'ozeki', 'telenode', '+36301234567', 'held before the restart', 'accepted', 1, 'gsm7', 1, 1, 1, 'node-r')`,
    );
    await first.stop();
    const again = await startDaemon({
      store: { type: 'postgres', url, poolSize: 4 },
      node: { id: 'node-r', leaseSeconds: 30 },
      connectors: [smscConnector(port)],
    });
    try {
      await smsc.start();
      await waitUntil(() => smsc.received.some((r) => r.text === 'held before the restart'), 15_000, 'the held message at the SMSC');
    } finally {
      await again.stop();
      await smsc.stop();
    }
  });
});
