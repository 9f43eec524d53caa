/**
 * Callbacks sent from the shared background thread (shared/shared-thread.ts). Under load a delivered callback costs
 * the event loop an HTTP request and its response parsing (undici was 12 %
 * of the daemon's main thread in the receipts benchmark); here the main
 * thread only posts the attempts of each tick in one message and gets the
 * outcomes back the same way (decision 0099).
 *
 * If the thread dies, every attempt in flight ends as a failed attempt (the
 * dispatcher retries it with back-off, nothing is lost) and the next send
 * starts a new thread.
 */
import type { Logger } from '../shared/log.js';
import { siblingModule } from '../shared/module-worker.js';
import { attachToSharedThread, type ThreadTask } from '../shared/shared-thread.js';
import { TickBatch } from '../shared/tick-batch.js';
import type { CallbackAttempt, CallbackOutcome, CallbackSender, HttpSenderOptions } from './http-sender.js';
import type { FromSender, SequencedAttempt, ToSender } from './sender-protocol.js';

const STOP_TIMEOUT_MS = 5000;

export class ThreadSender implements CallbackSender {
  private task: ThreadTask | null = null;
  private nextSeq = 1;
  private readonly pending = new Map<number, (outcome: CallbackOutcome) => void>();
  private readonly outgoing = new TickBatch<SequencedAttempt>((attempts) => this.postAttempts(attempts));
  private closed = false;

  constructor(
    private readonly options: HttpSenderOptions,
    private readonly log: Logger,
  ) {}

  /**
   * Start the thread now. Started on the first callback instead, its isolate and modules (undici the largest)
   * loaded while that callback and every one behind it waited: the first callbacks of a fresh daemon came
   * hundreds of milliseconds late (issue 18, request → callback p99 from a fresh start).
   */
  start(): void {
    if (this.closed || this.task) return;
    this.attach();
  }

  /** The thread it sends from, while attached (tests terminate it to play a crash). */
  get thread(): ThreadTask['worker'] | null {
    return this.task?.worker ?? null;
  }

  send(attempt: CallbackAttempt): Promise<CallbackOutcome> {
    if (this.closed) return Promise.resolve({ error: 'callback sender is closed' });
    const seq = this.nextSeq++;
    this.outgoing.add({ seq, attempt });
    return new Promise((resolve) => this.pending.set(seq, resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    const task = this.task;
    if (!task) return;
    // The task closes its port once its connections are closed; the thread goes when its last task detaches.
    await task.finish({ type: 'stop' } satisfies ToSender, STOP_TIMEOUT_MS);
  }

  private postAttempts(attempts: SequencedAttempt[]): void {
    const task = this.task ?? this.attach();
    // Only while answers are awaited does the task keep the process alive.
    task.port.ref();
    task.port.postMessage({ type: 'send', attempts } satisfies ToSender);
  }

  private attach(): ThreadTask {
    const task = attachToSharedThread(siblingModule(import.meta.url, 'sender-thread'), this.options);
    this.task = task;
    // Idle, it must not keep the process alive.
    task.port.unref();
    task.port.on('message', (outcomes: FromSender) => {
      for (const { seq, outcome } of outcomes) {
        const resolve = this.pending.get(seq);
        this.pending.delete(seq);
        resolve?.(outcome);
      }
      if (this.pending.size === 0) task.port.unref();
    });
    task.onExit((code, err) => {
      if (this.task === task) this.task = null;
      if (err) this.log.error({ err }, 'background thread (callback sender, WAL checkpointer) failed');
      if (this.pending.size === 0) return;
      if (!this.closed) this.log.error({ code, inFlight: this.pending.size }, 'callback sender thread exited; its callbacks will be retried');
      const lost = [...this.pending.values()];
      this.pending.clear();
      for (const resolve of lost) resolve({ error: 'callback sender thread exited' });
    });
    return task;
  }
}
