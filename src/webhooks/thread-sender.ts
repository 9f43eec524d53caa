/**
 * Callbacks sent from a worker thread. Under load a delivered callback costs
 * the event loop an HTTP request and its response parsing (undici was 12 %
 * of the daemon's main thread in the receipts benchmark); here the main
 * thread only posts the attempts of each tick in one message and gets the
 * outcomes back the same way (decision 0099).
 *
 * If the worker dies, every attempt in flight ends as a failed attempt (the
 * dispatcher retries it with back-off, nothing is lost) and the next send
 * starts a new worker.
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../shared/log.js';
import { siblingModule, startModuleWorker } from '../shared/module-worker.js';
import { TickBatch } from '../shared/tick-batch.js';
import type { CallbackAttempt, CallbackOutcome, CallbackSender, HttpSenderOptions } from './http-sender.js';
import type { FromSender, SequencedAttempt, ToSender } from './sender-protocol.js';

const STOP_TIMEOUT_MS = 5000;
const SENDER_YOUNG_GENERATION_MB = 6;

export class ThreadSender implements CallbackSender {
  private worker: Worker | null = null;
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
    if (this.closed || this.worker) return;
    // Idle, it must not keep the process alive; postAttempts refs it while answers are awaited.
    this.spawn().unref();
  }

  send(attempt: CallbackAttempt): Promise<CallbackOutcome> {
    if (this.closed) return Promise.resolve({ error: 'callback sender is closed' });
    const seq = this.nextSeq++;
    this.outgoing.add({ seq, attempt });
    return new Promise((resolve) => this.pending.set(seq, resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'stop' } satisfies ToSender);
    const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private postAttempts(attempts: SequencedAttempt[]): void {
    const worker = this.worker ?? this.spawn();
    // Only while answers are awaited does the worker keep the process alive.
    worker.ref();
    worker.postMessage({ type: 'send', attempts } satisfies ToSender);
  }

  private spawn(): Worker {
    // Its objects live for one HTTP exchange: a 6 MB young generation (V8's default is 32) holds them, and the thread's
    // heap peaks at about 25 MB instead of 53 under the receipts benchmark, at the same throughput (issue 18).
    const worker = startModuleWorker(siblingModule(import.meta.url, 'sender-thread'), {
      workerData: this.options,
      resourceLimits: { maxYoungGenerationSizeMb: SENDER_YOUNG_GENERATION_MB },
    });
    this.worker = worker;
    worker.on('message', (outcomes: FromSender) => {
      for (const { seq, outcome } of outcomes) {
        const resolve = this.pending.get(seq);
        this.pending.delete(seq);
        resolve?.(outcome);
      }
      if (this.pending.size === 0) worker.unref();
    });
    worker.on('error', (err) => this.log.error({ err }, 'callback sender thread failed'));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      if (this.pending.size === 0) return;
      if (!this.closed) this.log.error({ code, inFlight: this.pending.size }, 'callback sender thread exited; its callbacks will be retried');
      const lost = [...this.pending.values()];
      this.pending.clear();
      for (const resolve of lost) resolve({ error: 'callback sender thread exited' });
    });
    return worker;
  }
}
