import type { MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { attachToSharedThread, type ThreadTask } from '../../src/shared/shared-thread.js';
import { waitUntil } from '../helpers/temp-dir.js';

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
