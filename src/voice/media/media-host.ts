/**
 * The main thread's side of the media worker: starts the one worker of the
 * process, binds RTP ports and opens calls' RtpSessions through it, routes
 * the worker's messages to them, and hands the clock's pacing samples to
 * whoever exports them. See docs/decisions/0097-media-worker.md.
 *
 *   stopped ──start()/bind()──► starting ──ready──► running ──stop()──► stopped (for good)
 *                                   └──────exit─────────┴──► (calls on it fail; the next bind starts a new worker)
 *
 * When the worker dies unexpectedly every call on it fails at once (plays
 * settle 'stopped', RtpSession failure listeners hang the calls up) and the
 * error is logged; the next call starts a fresh worker.
 */
import type { Transferable, Worker } from 'node:worker_threads';
import type { Logger } from '../../shared/log.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { siblingModule, startModuleWorker } from '../../shared/module-worker.js';
import { COUNTER_FIELDS, type HostMessage, type MediaWorkerConfig, type PacingBatch, type WorkerMessage } from './media-protocol.js';
import { RtpSession, type RtpSessionOptions } from './rtp-session.js';

export interface MediaHostConfig {
  /** Address the RTP sockets bind to. */
  host: string;
  portMin: number;
  portMax: number;
  /** How often the worker posts pacing samples and counters (default 250 ms). */
  statsIntervalMs?: number;
  /** Scheduling priority the worker thread asks for (default 0: as the process). */
  nice?: number;
}

/** A bound RTP port in the worker, before or after a session is opened on it. */
export interface RtpPort {
  readonly id: number;
  readonly port: number;
  /** Close the port's session (if any) and free the port; safe to call twice. */
  release(): void;
}

interface PortEntry {
  session: RtpSession | null;
}

interface PendingBind {
  resolve: (port: RtpPort) => void;
  reject: (err: AppError) => void;
}

const START_TIMEOUT_MS = 10_000;
const DEFAULT_STATS_INTERVAL_MS = 250;

export class MediaHost {
  /** Pacing samples from the worker's clock, a batch every stats interval. */
  onPacing: ((batch: PacingBatch) => void) | null = null;
  private worker: Worker | null = null;
  private starting: Promise<Worker> | null = null;
  private stopped = false;
  private nextId = 1;
  private readonly ports = new Map<number, PortEntry>();
  private readonly binds = new Map<number, PendingBind>();

  constructor(
    private readonly config: MediaHostConfig,
    private readonly log: Logger,
  ) {}

  /** Start the worker now rather than on the first bind (an incoming call, while its app is asked; tests). */
  async start(): Promise<void> {
    await this.running();
  }

  /** The worker thread while one runs (tests kill it to see calls fail cleanly). */
  get thread(): Worker | null {
    return this.worker;
  }

  /** Ports bound and not yet released. */
  get boundPorts(): number {
    return this.ports.size;
  }

  /** A UDP port bound in the worker on a free even port of the range. */
  async bind(): Promise<RtpPort> {
    const worker = await this.running();
    const id = this.nextId++;
    return new Promise<RtpPort>((resolve, reject) => {
      this.binds.set(id, { resolve, reject });
      this.updateRef();
      worker.postMessage({ op: 'bind', id } satisfies HostMessage);
    });
  }

  /** Start the call's RTP stream on a bound port. */
  open(port: RtpPort, options: RtpSessionOptions): RtpSession {
    const entry = this.ports.get(port.id);
    const session = new RtpSession((message, transfer) => this.post(message, transfer), port.id, port.port, options);
    if (entry) entry.session = session;
    else session.fail(workerFailed('the media worker that bound this port is gone'));
    return session;
  }

  /** Stop the worker for good (the call service has hung its calls up; any left fail). */
  async stop(): Promise<void> {
    this.stopped = true;
    const worker = this.worker ?? (await this.starting?.catch(() => null)) ?? null;
    this.worker = null;
    this.starting = null;
    this.failAll(new AppError(ErrorCode.SHUTTING_DOWN, 'telenode is shutting down'));
    await worker?.terminate();
  }

  private post(message: HostMessage, transfer?: Transferable[]): void {
    // With no worker the session has already been failed; nothing to tell.
    this.worker?.postMessage(message, transfer);
  }

  private running(): Promise<Worker> {
    if (this.stopped) return Promise.reject(new AppError(ErrorCode.SHUTTING_DOWN, 'the media worker has been stopped'));
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= this.spawn().finally(() => (this.starting = null));
    return this.starting;
  }

  /**
   * At a voice node's start: a short-lived worker that loads the built-in modules the media worker imports, then
   * ends. Node compiles a built-in module once per process and keeps the code for every later isolate; the main
   * thread's own start compiles few of a worker's. Without this the first call's media worker compiled them itself
   * (about 65 of its 150 ms of CPU before it was ready on a 2 × Xeon), and the caller heard the first prompt
   * 1.3× as late as while a background thread had done it at the node's start (decision 0113, amended 2026-12-06).
   */
  prepare(): void {
    if (this.stopped || this.worker || this.starting) return;
    const failed = (err: unknown) => this.log.debug({ err }, 'media worker preparation failed; the first call compiles its modules itself');
    try {
      const worker = startModuleWorker(siblingModule(import.meta.url, 'worker-builtins'), { name: 'telenode-media-prepare' });
      worker.unref();
      worker.on('error', failed);
    } catch (err) {
      failed(err);
    }
  }

  private spawn(): Promise<Worker> {
    const workerData: MediaWorkerConfig = {
      host: this.config.host,
      portMin: this.config.portMin,
      portMax: this.config.portMax,
      statsIntervalMs: this.config.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS,
      nice: this.config.nice ?? 0,
    };
    const worker = startModuleWorker(siblingModule(import.meta.url, 'media-worker'), { workerData, name: 'telenode-media' });
    let lastError: Error | null = null;
    return new Promise<Worker>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(workerFailed(`the media worker did not start within ${START_TIMEOUT_MS} ms`));
        void worker.terminate();
      }, START_TIMEOUT_MS);
      timer.unref();
      worker.on('message', (message: WorkerMessage) => {
        if (message.ev !== 'ready') return this.receive(message);
        clearTimeout(timer);
        if (this.stopped) {
          reject(new AppError(ErrorCode.SHUTTING_DOWN, 'the media worker has been stopped'));
          void worker.terminate();
          return;
        }
        this.worker = worker;
        this.updateRef();
        if (message.niceError) {
          this.log.warn(
            { wanted: workerData.nice, nice: message.nice, err: message.niceError },
            'media worker runs at normal priority: raising it needs root, CAP_SYS_NICE or LimitNICE; RTP pacing suffers when the CPUs are busy',
          );
        } else this.log.info({ nice: message.nice, threadId: worker.threadId }, 'media worker started');
        resolve(worker);
      });
      worker.on('error', (err) => {
        lastError = err;
      });
      worker.on('messageerror', (err) => this.log.warn({ err }, 'media worker message could not be read'));
      // Held while starting (a 'message' listener refs it anyway); updateRef() lets go once it runs.
      worker.ref();
      worker.on('exit', (exitCode) => {
        clearTimeout(timer);
        reject(workerFailed(`the media worker exited during start-up (code ${exitCode})`, lastError));
        if (this.worker !== worker) return; // failed start-up, or stop() already let it go
        this.worker = null;
        this.log.error({ err: lastError, exitCode, ports: this.ports.size }, 'media worker died; ending its calls');
        this.failAll(workerFailed(`the media worker died (exit code ${exitCode})`, lastError));
      });
    });
  }

  private receive(message: WorkerMessage): void {
    switch (message.ev) {
      case 'bound':
        return this.bound(message.id, message.port);
      case 'bindFailed': {
        const pending = this.binds.get(message.id);
        this.binds.delete(message.id);
        this.updateRef();
        pending?.reject(new AppError(message.code, message.message, { retryable: message.code === ErrorCode.MEDIA_PORTS_EXHAUSTED }));
        return;
      }
      case 'stats':
        this.onPacing?.(message.pacing);
        return this.updateCounters(message.counters);
      case 'warn': {
        const session = message.id === null ? null : this.ports.get(message.id)?.session;
        if (session) session.warn(message.message, message.details);
        else this.log.warn(message.details, message.message);
        return;
      }
      case 'released':
        this.ports.delete(message.id);
        return;
      case 'ready':
        return;
    }
    const session = this.ports.get(message.id)?.session;
    if (!session) return;
    switch (message.ev) {
      case 'played':
        return session.played(message.clip);
      case 'digitsSent':
        return session.digitsDone(message.request);
      case 'digit':
        return session.digit(message.digit);
      case 'latched':
        return session.latched(message.remote);
      case 'recording':
        return session.recorded(message.request, message);
      case 'silence':
        return session.silent(message.request);
    }
  }

  /**
   * The worker keeps the process alive only while someone awaits an answer from it (a bind).
   * Otherwise it never is the reason the process stays up: stop() ends it, and a host nobody
   * stopped must not hang the exit of a process that is otherwise done.
   */
  private updateRef(): void {
    if (this.binds.size > 0) this.worker?.ref();
    else this.worker?.unref();
  }

  private bound(id: number, port: number): void {
    const pending = this.binds.get(id);
    this.binds.delete(id);
    this.updateRef();
    this.ports.set(id, { session: null });
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.ports.get(id)?.session?.close();
      // The entry stays until the worker confirms: a recording asked for at close may still be on its way.
      this.post({ op: 'release', id });
    };
    if (pending) pending.resolve({ id, port, release });
    else release(); // nobody waits any more (cannot happen today; keeps the port from leaking if it ever does)
  }

  private updateCounters(counters: Float64Array): void {
    for (let i = 0; i < counters.length; i += COUNTER_FIELDS) {
      const session = this.ports.get(counters[i]!)?.session;
      if (!session) continue;
      session.counters.sent = counters[i + 1]!;
      session.counters.received = counters[i + 2]!;
      session.counters.dropped = counters[i + 3]!;
    }
  }

  /** Settle everything that waited on the worker; sessions still open hear why (their calls hang up). */
  private failAll(err: AppError): void {
    for (const pending of this.binds.values()) pending.reject(err);
    this.binds.clear();
    const sessions = [...this.ports.values()].map((entry) => entry.session);
    this.ports.clear();
    for (const session of sessions) session?.fail(err);
  }
}

function workerFailed(message: string, cause?: Error | null): AppError {
  return new AppError(ErrorCode.MEDIA_WORKER_FAILED, message, { retryable: true, cause: cause ?? undefined });
}
