/**
 * Sends one callback over HTTP and says what came back. The dispatcher
 * decides what an outcome means (delivered, retry, dead letter); a sender
 * only talks HTTP. Two senders: `HttpSender` here, on the calling thread, and
 * `ThreadSender` (thread-sender.ts), the same HttpSender on a worker thread so
 * the daemon's event loop does not spend its time in HTTP client code.
 */
import { Agent, request } from 'undici';
import { EgressPolicy, type EgressConfig } from '../shared/egress.js';
import { ErrorCode } from '../shared/errors.js';
import type { WebhookConfig } from './config.js';

export interface CallbackAttempt {
  url: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  /** Ignored for GET. */
  body: string;
}

/** The receiver's HTTP status, or why there was none; `permanent` when trying again cannot help (the egress policy refuses the URL). */
export type CallbackOutcome = { status: number; error?: undefined; permanent?: undefined } | { status?: undefined; error: string; permanent?: boolean };

export interface CallbackSender {
  send(attempt: CallbackAttempt): Promise<CallbackOutcome>;
  close(): Promise<void>;
}

export interface HttpSenderOptions {
  /** No answer (headers or body) within this time is a failed attempt. */
  timeoutMs: number;
  /** Keep-alive connections per receiver origin. */
  connections: number;
  /** Where callbacks may go (plain data: it crosses to the sender thread); none: anywhere. */
  egress?: EgressConfig;
}

/** A sender's options as the webhook config sets them: one keep-alive connection per callback in flight. */
export function httpSenderOptions(config: WebhookConfig, egress?: EgressConfig): HttpSenderOptions {
  return { timeoutMs: config.timeoutMs, connections: config.concurrency, ...(egress ? { egress } : {}) };
}

export class HttpSender implements CallbackSender {
  /** Keep-alive connections shared by all callbacks; undici's request() skips fetch's per-call stream and signal objects. */
  private readonly agent: Agent;

  constructor(private readonly options: HttpSenderOptions) {
    const connectTimeout = Math.min(options.timeoutMs, 10_000);
    this.agent = new Agent({
      connections: options.connections,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      ...(options.egress ? { connect: new EgressPolicy(options.egress).connector({ timeout: connectTimeout }) } : { connectTimeout }),
    });
  }

  async send(attempt: CallbackAttempt): Promise<CallbackOutcome> {
    try {
      const response = await request(attempt.url, {
        method: attempt.method,
        headers: attempt.headers,
        body: attempt.method === 'GET' ? undefined : attempt.body,
        dispatcher: this.agent,
      });
      await response.body.dump().catch(() => undefined);
      return { status: response.statusCode };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === ErrorCode.EGRESS_DENIED) return { error: (err as Error).message, permanent: true };
      const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
      return { error: timedOut ? `no answer within ${this.options.timeoutMs} ms` : (code ?? (err as Error).message) };
    }
  }

  async close(): Promise<void> {
    await this.agent.destroy().catch(() => undefined);
  }
}
