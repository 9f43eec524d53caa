/**
 * `telenode start` warms up before its API opens (src/app/warm-up.ts, decision 0117): a throwaway copy of the node
 * takes messages through an SMSC simulator of its own, receipts and callbacks included. What a user must be able to
 * rely on: it happened (the log says so), none of it reached their carrier, their store or their metrics, it left
 * no files behind, the node answers their first message as usual, and a warm-up that cannot run never stops the
 * node from starting.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { SmscSimulator } from '../../src/tools/smsc-sim.js';
import { silentLogger } from '../../src/shared/log.js';
import { hashPassword } from '../../src/shared/password-hash.js';
import { startDaemonProcess, writeConfig, type DaemonProcess } from '../helpers/daemon-process.js';
import { parseOzekiXml, sendSmsQuery } from '../helpers/ozeki-client.js';
import { tempDir, waitUntil } from '../helpers/temp-dir.js';

const sim = new SmscSimulator({ port: 0, receiptDelayMs: 0, log: silentLogger() });
const dirs: Array<{ path: string; remove: () => void }> = [];
let daemon: DaemonProcess | null = null;

beforeAll(async () => {
  await sim.start();
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await sim.stop();
  for (const dir of dirs) dir.remove();
});

/** A node with one carrier (our simulator), its own temporary folder as TMPDIR, and the warm-up asked for. */
async function start(warmUp: { messages: number } | undefined, tmp: string): Promise<{ daemon: DaemonProcess; store: string }> {
  const dir = tempDir('telenode-warm-up-test-');
  dirs.push(dir);
  const store = `${dir.path}/telenode.db`;
  const config = writeConfig(dir.path, {
    http: { host: '127.0.0.1', port: 0 },
    store: { path: store },
    log: { level: 'debug', format: 'json' },
    users: [{ username: 'u', passwordHash: hashPassword('pw') }],
    connectors: [{ id: 'carrier', type: 'smpp', host: '127.0.0.1', port: sim.port, systemId: 'tn', password: 'pw' }],
    ...(warmUp ? { warmUp } : {}),
  });
  return { daemon: await startDaemonProcess(config, 40_000, { TMPDIR: tmp }), store };
}

function logged(process: DaemonProcess, msg: string): Record<string, unknown> | undefined {
  return process.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry['msg'] === msg);
}

describe('warm-up at start', () => {
  it('takes its messages through a copy of the node, and none of them reaches the carrier, the store or the metrics', async () => {
    const tmp = tempDir('telenode-tmp-');
    dirs.push(tmp);
    const received = sim.received.length;
    let store: string;
    ({ daemon, store } = await start({ messages: 40 }, tmp.path));

    // It ran to the end: all 40 accepted, submitted and their receipts called back before the API opened.
    const warmed = logged(daemon, 'warmed up');
    expect(warmed?.['messages']).toBe(40);
    expect(daemon.logs.findIndex((l) => l.includes('"warmed up"'))).toBeLessThan(daemon.logs.findIndex((l) => l.includes('"telenode started"')));
    expect(logged(daemon, 'warm-up did not finish; starting without it')).toBeUndefined();

    expect(sim.received.length).toBe(received);
    expect(readdirSync(tmp.path)).toEqual([]);
    const metrics = await (await fetch(`${daemon.base}/metrics`)).text();
    expect(metrics).not.toMatch(/^telenode_sms_accepted_total\{/m);

    // The user's first message goes out as usual, and it is the only one in their store.
    const reply = parseOzekiXml(
      await (await fetch(`${daemon.base}/api?${sendSmsQuery({ Username: 'u', Password: 'pw', Recipient: '+36301234567', Message: 'first' })}`)).text(),
    );
    expect(reply.code).toBe(200);
    await waitUntil(() => sim.received.some((m) => m.text === 'first'), 20_000, 'the first message at the carrier');
    await daemon.kill('SIGTERM');
    daemon = null;
    const db = new Database(store, { readonly: true });
    try {
      expect(db.prepare('SELECT text FROM messages').all()).toEqual([{ text: 'first' }]);
    } finally {
      db.close();
    }
  });

  it('is skipped with warmUp.messages: 0', async () => {
    const tmp = tempDir('telenode-tmp-');
    dirs.push(tmp);
    ({ daemon } = await start({ messages: 0 }, tmp.path));
    expect(logged(daemon, 'warmed up')).toBeUndefined();
    await daemon.kill('SIGTERM');
    daemon = null;
  });

  it('never stops the node from starting: without a usable temporary folder it starts cold and says so', async () => {
    ({ daemon } = await start(undefined, '/nonexistent/telenode-tmp'));
    expect(logged(daemon, 'warm-up did not finish; starting without it')).toBeDefined();
    expect(logged(daemon, 'warmed up')).toBeUndefined();
    const reply = parseOzekiXml(
      await (await fetch(`${daemon.base}/api?${sendSmsQuery({ Username: 'u', Password: 'pw', Recipient: '+36301234567', Message: 'cold' })}`)).text(),
    );
    expect(reply.code).toBe(200);
    await daemon.kill('SIGTERM');
    daemon = null;
  });
});
