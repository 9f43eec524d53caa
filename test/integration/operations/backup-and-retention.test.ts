/**
 * Issue 22, item 8: `telenode backup` copies the SQLite store while the daemon takes messages, the copy restores
 * into a daemon that serves every message in it; the retention job deletes finished work past its age.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { CLI, startDaemonProcess, writeConfig, type DaemonProcess } from '../../helpers/daemon-process.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { sendSmsAs } from '../../helpers/ozeki-client.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';

const run = promisify(execFile);
const OPERATOR = { username: 'operator', password: 'backup-pass-1' };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function nodeConfig(dir: string): string {
  return writeConfig(dir, {
    http: { host: '127.0.0.1', port: 0 },
    store: { path: join(dir, 'data', 'telenode.db') },
    users: [
      { username: OPERATOR.username, passwordHash: hashPassword(OPERATOR.password), admin: true },
      { username: TEST_USER.username, passwordHash: hashPassword(TEST_USER.password) },
    ],
  });
}

async function messageTotal(daemon: DaemonProcess): Promise<number> {
  const auth = `Basic ${Buffer.from(`${OPERATOR.username}:${OPERATOR.password}`).toString('base64')}`;
  const reply = await fetch(`${daemon.base}/admin/api/messages?limit=1`, { headers: { authorization: auth } });
  return ((await reply.json()) as { total: number }).total;
}

describe('backup and restore', () => {
  it('copies the store while the daemon takes messages; the copy is whole, and a daemon started on it serves every message in it', async () => {
    const work = tempDir('telenode-backup-');
    cleanups.push(() => work.remove());
    const config = nodeConfig(work.path);
    const daemon = await startDaemonProcess(config);
    cleanups.push(async () => void (await daemon.kill('SIGKILL')));
    // Load while the backup runs: the copy must be one moment's store, not pages from several.
    let sending = true;
    let accepted = 0;
    const senders = Array.from({ length: 8 }, async () => {
      while (sending) {
        const reply = await sendSmsAs(daemon.base, TEST_USER, `backup-${accepted}`);
        if (reply.code === 200) accepted++;
      }
    });
    await waitUntil(() => accepted >= 200, 30_000, 'messages accepted before the backup');
    const file = join(work.path, 'telenode-backup.db');
    const backup = await run(process.execPath, [CLI, 'backup', file, '--config', config], { timeout: 60_000 });
    expect(backup.stdout).toMatch(/^backed up .* to .*telenode-backup\.db: \d+ pages, \d+ messages/);
    sending = false;
    await Promise.all(senders);

    const copy = new Database(file, { readonly: true });
    const inCopy = (copy.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    // Every message has its history number (written by a trigger in the message's own transaction): one snapshot.
    expect((copy.prepare("SELECT COUNT(*) AS n FROM message_seq WHERE direction = 'out'").get() as { n: number }).n).toBe(inCopy);
    copy.close();
    expect(inCopy).toBeGreaterThanOrEqual(200);
    expect(inCopy).toBeLessThanOrEqual(accepted);

    // A second backup to the same file is refused: a backup never overwrites.
    const again = await run(process.execPath, [CLI, 'backup', file, '--config', config]).catch((err: { code: number; stderr: string }) => err);
    expect([(again as { code: number }).code, (again as { stderr: string }).stderr]).toEqual([2, expect.stringContaining('exists')]);
    expect(await daemon.kill('SIGTERM')).toBe(0);

    // Restore as docs/operations.md says: the daemon stopped, the copy in store.path, start.
    const restored = tempDir('telenode-restore-');
    cleanups.push(() => restored.remove());
    const restoredConfig = nodeConfig(restored.path);
    (await import('node:fs')).mkdirSync(join(restored.path, 'data'));
    copyFileSync(file, join(restored.path, 'data', 'telenode.db'));
    const second = await startDaemonProcess(restoredConfig);
    cleanups.push(async () => void (await second.kill('SIGTERM')));
    expect(await messageTotal(second)).toBe(inCopy);
  }, 120_000);
});

describe('retention', () => {
  it('deletes finished messages and delivered callbacks past their age, and keeps the rest', async () => {
    // One second is the age here, so the test need not wait days.
    const env = await startDaemon({ retention: { messagesDays: 1 / 86_400, callbacksDays: 1 / 86_400 } });
    cleanups.push(() => env.stop());
    for (let i = 0; i < 3; i++) expect((await sendSmsAs(env.base, TEST_USER, `old-${i}`)).code).toBe(200);
    await waitUntil(async () => (await env.daemon.sql.all("SELECT id FROM messages WHERE status = 'delivered'")).length === 3, 15_000, 'three delivered');
    const sentAt = Date.now();
    await waitUntil(() => Date.now() > sentAt + 1_100, 5_000, 'the messages older than their retention');
    const fresh = await sendSmsAs(env.base, TEST_USER, 'fresh');
    expect(fresh.code).toBe(200);
    const pruned = await env.daemon.retention.runNow();
    expect(pruned.messages).toBe(3);
    const left = await env.daemon.sql.all<{ id: string }>('SELECT id FROM messages');
    expect(left.map((r) => r.id)).toEqual([fresh.smsId]);
    expect(await env.daemon.sql.all('SELECT * FROM message_parts WHERE message_id <> ?', [fresh.smsId])).toEqual([]);
    const metrics = await (await fetch(`${env.base}/metrics`)).text();
    expect(metrics).toContain('telenode_store_pruned_total{kind="messages"} 3');
  });

  it('deletes recordings past retention.recordingsDays when asked, and nothing else in the folder', async () => {
    const env = await startDaemon({ retention: { recordingsDays: 1 } });
    cleanups.push(() => env.stop());
    const folder = join(env.dir, 'recordings');
    mkdirSync(folder, { recursive: true });
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    for (const name of ['old-call-1.wav', 'order-4711.wav', 'old-call-2.wav.part', 'notes.txt', 'fresh-call-3.wav']) {
      writeFileSync(join(folder, name), 'RIFF');
      if (!name.startsWith('fresh')) utimesSync(join(folder, name), twoDaysAgo, twoDaysAgo);
    }
    const pruned = await env.daemon.retention.runNow();
    expect(pruned.recordings).toBe(2);
    expect(readdirSync(folder).sort()).toEqual(['fresh-call-3.wav', 'notes.txt', 'old-call-2.wav.part']);
    expect(await (await fetch(`${env.base}/metrics`)).text()).toContain('telenode_store_pruned_total{kind="recordings"} 2');
  });

  it('keeps recordings by default', async () => {
    const env = await startDaemon();
    cleanups.push(() => env.stop());
    const folder = join(env.dir, 'recordings');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'call-1-1.wav'), 'RIFF');
    utimesSync(join(folder, 'call-1-1.wav'), new Date(0), new Date(0));
    expect((await env.daemon.retention.runNow()).recordings).toBe(0);
    expect(readdirSync(folder)).toEqual(['call-1-1.wav']);
  });
});
