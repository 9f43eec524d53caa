/**
 * The console's live channel: server-sent events (HTML Living Standard §9.2) on one GET. While any console is
 * open, the overview is computed once a second for all of them and sent when it changed; a message page also
 * names the message it shows and gets its status steps, sent once they are committed (a page that reloads on
 * the event must find the new status in the store). With no console open nothing runs.
 */
import type { FastifyReply } from 'fastify';
import type { Logger } from '../../shared/log.js';
import { stepOf, type StatusFeed, type StatusStep } from '../../sms/status-feed.js';

export interface LiveDeps {
  overview: () => Promise<unknown>;
  feed: StatusFeed;
  /** Resolves once everything queued for commit before the call is committed. */
  committed: () => Promise<void>;
  log: Logger;
  intervalMs?: number;
}

interface LiveClient {
  write: (chunk: string) => void;
  end: () => void;
  /** The message whose steps the page wants; null: none. */
  watch: string | null;
  /** False once the session the channel was opened with has ended (log-out, idle timeout). */
  allowed: () => boolean;
}

/** Open live channels at most (each costs a socket, not a query: the overview is shared). */
const MAX_CLIENTS = 200;
const KEEPALIVE_MS = 15_000;

export class LiveHub {
  private readonly clients = new Set<LiveClient>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastOverview = '';
  private lastSentAt = 0;
  private computing = false;
  private pendingSteps: StatusStep[] = [];
  private flushing = false;

  constructor(private readonly deps: LiveDeps) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes over the reply's socket; false when too many channels are open (the caller answers 503). */
  attach(reply: FastifyReply, watch: string | null, allowed: () => boolean): boolean {
    if (this.clients.size >= MAX_CLIENTS) return false;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // nginx buffers responses unless told not to: a console behind it would see nothing live.
      'x-accel-buffering': 'no',
    });
    const client: LiveClient = { write: (chunk) => void raw.write(chunk), end: () => raw.end(), watch, allowed };
    this.clients.add(client);
    raw.on('close', () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.idle();
    });
    raw.on('error', () => this.clients.delete(client));
    client.write('retry: 2000\n\n');
    if (this.lastOverview) client.write(`event: overview\ndata: ${this.lastOverview}\n\n`);
    this.wake();
    void this.tick(true);
    return true;
  }

  /** Ends every channel (the server's close waits for open responses). */
  close(): void {
    for (const client of this.clients) client.end();
    this.clients.clear();
    this.idle();
  }

  private wake(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(false), this.deps.intervalMs ?? 1000);
    this.timer.unref();
    this.unsubscribe = this.deps.feed.subscribe((message, previous) => {
      if (this.watched(message.id)) this.onStep(stepOf(message, previous));
    });
  }

  private idle(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.lastOverview = '';
  }

  private async tick(force: boolean): Promise<void> {
    if (this.computing) return;
    this.computing = true;
    try {
      const text = JSON.stringify(await this.deps.overview());
      const now = Date.now();
      if (force || text !== this.lastOverview || now - this.lastSentAt > KEEPALIVE_MS || [...this.clients].some((c) => !c.allowed())) {
        this.lastOverview = text;
        this.lastSentAt = now;
        this.broadcast(`event: overview\ndata: ${text}\n\n`);
      }
    } catch (err) {
      this.deps.log.warn({ err }, 'console overview failed');
    } finally {
      this.computing = false;
    }
  }

  private watched(id: string): boolean {
    for (const client of this.clients) if (client.watch === id) return true;
    return false;
  }

  private onStep(step: StatusStep): void {
    this.pendingSteps.push(step);
    void this.flush();
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pendingSteps.length > 0) {
        await this.deps.committed();
        const steps = this.pendingSteps;
        this.pendingSteps = [];
        for (const step of steps) {
          const event = `event: message\ndata: ${JSON.stringify({ id: step.id, status: step.status, at: step.at })}\n\n`;
          for (const client of this.clients) if (client.watch === step.id) client.write(event);
        }
      }
    } catch (err) {
      this.deps.log.warn({ err }, 'console status steps not sent');
    } finally {
      this.flushing = false;
    }
  }

  private broadcast(event: string): void {
    for (const client of this.clients) {
      if (client.allowed()) {
        client.write(event);
      } else {
        this.clients.delete(client);
        client.end();
      }
    }
  }
}
