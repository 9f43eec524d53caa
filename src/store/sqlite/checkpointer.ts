/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs
 * inside whichever commit crosses the threshold — on our main thread — and
 * copying thousands of pages into the database file stalls every request
 * waiting behind it. A task on the shared background thread, with its own
 * connection, runs PASSIVE checkpoints (they never block writers) every
 * `intervalMs` (checkpoint-thread.ts); the main connection keeps a large
 * automatic threshold only as a safety net. Should the thread die, the task
 * attaches again (a new thread) after one interval.
 */
import { siblingModule } from '../../shared/module-worker.js';
import { attachToSharedThread, type ThreadTask } from '../../shared/shared-thread.js';
import type { CheckpointTaskData } from './checkpoint-thread.js';

const STOP_TIMEOUT_MS = 2000;

export class WalCheckpointer {
  private task: ThreadTask | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly intervalMs = 500,
  ) {
    this.attach();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const task = this.task;
    if (!task) return;
    this.task = null;
    await task.finish('stop', STOP_TIMEOUT_MS);
  }

  private attach(): void {
    const data: CheckpointTaskData = { path: this.path, intervalMs: this.intervalMs };
    const task = attachToSharedThread(siblingModule(import.meta.url, 'checkpoint-thread'), data);
    this.task = task;
    task.port.unref();
    task.onExit(() => {
      if (this.task === task) this.task = null;
      if (this.stopped) return;
      this.retry = setTimeout(() => this.attach(), this.intervalMs);
      this.retry.unref();
    });
  }
}
