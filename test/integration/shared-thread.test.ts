import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { attachToSharedThread, type ThreadTask } from '../../src/shared/shared-thread.js';
import { WalCheckpointer } from '../../src/store/sqlite/checkpointer.js';
import { openDatabase } from '../../src/store/sqlite/db.js';
import { tempDir, waitUntil } from '../helpers/temp-dir.js';

const ECHO = new URL('../fixtures/threads/echo-task.ts', import.meta.url);

function ask(port: MessagePort, message: string): Promise<{ data: unknown; message: string; threadId: number }> {
  return new Promise((resolve) => {
    port.once('message', resolve);
    port.postMessage(message);
  });
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the shared background thread', () => {
  it('runs several tasks on one thread, each on its own channel, and ends when the last detaches', async () => {
    const a = attachToSharedThread(ECHO, 'a');
    const b = attachToSharedThread(ECHO, 'b');
    expect(b.worker).toBe(a.worker);
    const [fromA, fromB] = await Promise.all([ask(a.port, 'to a'), ask(b.port, 'to b')]);
    expect(fromA).toEqual({ data: 'a', message: 'to a', threadId: a.worker.threadId });
    expect(fromB).toEqual({ data: 'b', message: 'to b', threadId: a.worker.threadId });

    const exited = new Promise<number>((resolve) => a.worker.once('exit', resolve));
    let aClosed = false;
    a.port.once('close', () => (aClosed = true));
    await a.finish('close', 5000); // the echo task closes its port when told to
    expect(aClosed).toBe(true);
    expect(await ask(b.port, 'still there')).toMatchObject({ data: 'b' }); // one task left: the thread stays
    b.detach();
    await exited;

    const c = attachToSharedThread(ECHO, 'c');
    cleanups.push(() => c.detach());
    expect(c.worker).not.toBe(a.worker);
    expect((await ask(c.port, 'new')).threadId).toBe(c.worker.threadId);
  });

  it('tells every attached task when the thread dies, and the next attach starts a new thread', async () => {
    const a = attachToSharedThread(ECHO, 'a');
    const b = attachToSharedThread(ECHO, 'b');
    await ask(a.port, 'up');
    const heard: string[] = [];
    a.onExit(() => heard.push('a'));
    b.onExit(() => heard.push('b'));
    await a.worker.terminate();
    await waitUntil(() => heard.length === 2, 5000, 'both tasks told');
    expect(heard.sort()).toEqual(['a', 'b']);
    const c: ThreadTask = attachToSharedThread(ECHO, 'c');
    cleanups.push(() => c.detach());
    expect(c.worker).not.toBe(a.worker);
    expect((await ask(c.port, 'again')).data).toBe('c');
  });
});

describe('WAL checkpointer on the shared thread', () => {
  /** Pages written through a connection whose own automatic checkpoint is out of reach (as the daemon's is). */
  function filledDatabase() {
    const dir = tempDir();
    const path = join(dir.path, 'store.db');
    const db = openDatabase({ path, synchronous: 'NORMAL' });
    db.exec('CREATE TABLE IF NOT EXISTS filler (body BLOB)');
    const fill = () => {
      const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
      db.transaction(() => {
        for (let i = 0; i < 256; i++) insert.run(Buffer.alloc(4000, i));
      })();
    };
    cleanups.push(() => {
      db.close();
      dir.remove();
    });
    return { path, fill, databaseBytes: () => statSync(path).size };
  }

  it('copies the WAL into the database file without the main connection checkpointing', async () => {
    const { path, fill, databaseBytes } = filledDatabase();
    const before = databaseBytes();
    fill();
    expect(databaseBytes()).toBe(before); // the pages are only in the WAL so far
    const checkpointer = new WalCheckpointer(path, 50);
    cleanups.push(() => checkpointer.stop());
    await waitUntil(() => databaseBytes() > before + 1_000_000, 10_000, 'the checkpoint into the database file');
  });

  it('attaches again after its thread dies, and checkpoints on', async () => {
    const { path, fill, databaseBytes } = filledDatabase();
    const checkpointer = new WalCheckpointer(path, 50);
    cleanups.push(() => checkpointer.stop());
    fill();
    await waitUntil(() => databaseBytes() > 1_000_000, 10_000, 'the first checkpoint');
    const probe = attachToSharedThread(ECHO, 'probe');
    await probe.worker.terminate();
    const afterCrash = databaseBytes();
    fill();
    await waitUntil(() => databaseBytes() > afterCrash + 1_000_000, 10_000, 'a checkpoint from the new thread');
  });
});
