/**
 * Worker-thread entry of the shared background thread (shared-thread.ts):
 * each message attaches one task, a module run with its own MessagePort.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';

/** Main → thread: run this module's `runInThread(port, data)`. */
export interface SharedThreadTask {
  entry: string;
  data: unknown;
  port: MessagePort;
}

interface TaskModule {
  runInThread(port: MessagePort, data: unknown): void;
}

parentPort?.on('message', (task: SharedThreadTask) => {
  // A task that cannot load or start takes the thread down: every attached task hears it and attaches again.
  void (import(task.entry) as Promise<TaskModule>).then((module) => module.runInThread(task.port, task.data));
});
