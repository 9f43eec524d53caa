/**
 * One worker thread for the process's background tasks (the callback
 * sender). Every worker thread is a V8 isolate and a
 * Node environment of its own, about 10 MiB before it loads anything; two
 * tasks that each spend most of their time waiting can share one (issue 18).
 *
 * A task is a module that exports `runInThread(port, data)`; it talks to its
 * host only through its own MessagePort, so the tasks never see each other's
 * messages. The thread starts with the first task and ends when the last one
 * detaches. If it dies, every attached task hears it through `onExit` and
 * attaches again when it next needs the thread (a new one starts).
 */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from './module-worker.js';
import type { SharedThreadTask } from './shared-thread-entry.js';

/**
 * The tasks' objects live for one HTTP exchange or one checkpoint: a small young generation holds them (V8's default
 * is 32 MB), and the callback sender's heap peaked at about 25 MB instead of 53 under the receipts benchmark. At 3 MB
 * (1 MiB semi-spaces, where 6 gave 2) the daemon's peak RSS fell by 3–5 MiB more, with the same CPU a message and the
 * same paced callback latency; flat out, the callbacks' p99 rose by about a tenth (111 → 123 ms): the thread scavenges
 * twice as often (bench/RESULTS.md, "Issue 18, session 23").
 */
const YOUNG_GENERATION_MB = 3;

export interface ThreadTask {
  /** This task's end of its channel; the thread holds the other. */
  readonly port: MessagePort;
  /** The thread it runs on (tests terminate it to play a crash). */
  readonly worker: Worker;
  /** The thread ended while this task was attached: it died (`error` says why, when it threw) or was terminated. */
  onExit(listener: (code: number, error: Error | null) => void): void;
  /** Done with the thread; it ends once no task is attached. */
  detach(): void;
  /**
   * Post `message` (the task's order to finish), wait until the task closes its port, the thread ends or
   * `timeoutMs` passes — keeping the process alive meanwhile, as a shutdown must finish — then detach.
   */
  finish(message: unknown, timeoutMs: number): Promise<void>;
}

interface Attached {
  exited(code: number, error: Error | null): void;
}

interface RunningThread {
  worker: Worker;
  tasks: Set<Attached>;
}

let running: RunningThread | null = null;

/** Run `entry`'s `runInThread(port, data)` on the shared thread, starting the thread if none runs. */
export function attachToSharedThread(entry: URL, data: unknown): ThreadTask {
  const thread = running ?? start();
  const { port1, port2 } = new MessageChannel();
  const listeners: Array<(code: number, error: Error | null) => void> = [];
  const attached: Attached = { exited: (code, error) => listeners.forEach((listener) => listener(code, error)) };
  thread.tasks.add(attached);
  thread.worker.postMessage({ entry: entry.href, data, port: port2 } satisfies SharedThreadTask, [port2]);
  const detach = () => {
    if (!thread.tasks.delete(attached)) return;
    port1.close();
    if (thread.tasks.size > 0) return;
    if (running === thread) running = null;
    void thread.worker.terminate();
  };
  const finish = async (message: unknown, timeoutMs: number) => {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      if (!thread.tasks.has(attached)) return resolve(); // the thread is gone already
      port1.once('close', resolve);
      listeners.push(() => resolve());
      timer = setTimeout(resolve, timeoutMs); // not unref'd: it holds the process until the task is done
      port1.postMessage(message);
    });
    clearTimeout(timer);
    detach();
  };
  return { port: port1, worker: thread.worker, onExit: (listener) => listeners.push(listener), detach, finish };
}

function start(): RunningThread {
  const worker = startModuleWorker(siblingModule(import.meta.url, 'shared-thread-entry'), {
    name: 'telenode-background',
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  // The thread never keeps the process alive by itself; a task refs its own port while it awaits answers.
  worker.unref();
  const thread: RunningThread = { worker, tasks: new Set() };
  let error: Error | null = null;
  worker.on('error', (err) => (error = err));
  worker.on('exit', (code) => {
    if (running === thread) running = null;
    const tasks = [...thread.tasks];
    thread.tasks.clear();
    for (const task of tasks) task.exited(code, error);
  });
  running = thread;
  return thread;
}
