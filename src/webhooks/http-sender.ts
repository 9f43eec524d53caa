/**
 * Sends one callback over HTTP and says what came back. The dispatcher
 * decides what an outcome means (delivered, retry, dead letter); a sender
 * only talks HTTP. Two senders: `HttpSender` here, on the calling thread, and
 * `ThreadSender` (thread-sender.ts), the same HttpSender on a worker thread so
 * the daemon's event loop does not spend its time in HTTP client code.
 */
import type { Agent } from 'undici';
import { EgressPolicy, type EgressConfig } from '../shared/egress.js';
import { ErrorCode } from '../shared/errors.js';
import { undici } from '../shared/undici.js';
import type { WebhookConfig } from './config.js';

export interface CallbackAttempt {
  url: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  /** Ignored for GET. */
  body: string;
  /** The API user who chose the URL, whose own egress allow-list applies too. */
  owner?: string | null;
}

/** The receiver's HTTP status, or why there was none; `permanent` when trying again cannot help (the egress policy refuses the URL). */
export type CallbackOutcome = { status: number; error?: undefined; permanent?: undefined } | { status?: undefined; error: string; permanent?: boolean };

export interface CallbackSender {
  send(attempt: CallbackAttempt): Promise<CallbackOutcome>;
  close(): Promise<void>;
  /** Get ready before the first callback (a thread loads its modules now, not while the first callbacks wait). */
  start?(): void;
}

export interface HttpSenderOptions {
  /** No answer (headers or body) within this time is a failed attempt. */
  timeoutMs: number;
  /** Keep-alive connections per receiver origin. */
  connections: number;
  /** Where callbacks may go (plain data: it crosses to the sender thread); none: anywhere. */
  egress?: EgressConfig;
  /** Ranges each API user may also reach with the callback URLs they give (users[].egress.allow). */
  userAllow?: Record<string, string[]>;
}

/** A sender's options as the webhook config sets them: one keep-alive connection per callback in flight. */
export function httpSenderOptions(config: WebhookConfig, egress?: EgressConfig, userAllow?: Record<string, string[]>): HttpSenderOptions {
  return { timeoutMs: config.timeoutMs, connections: config.concurrency, ...(egress ? { egress } : {}), ...(userAllow ? { userAllow } : {}) };
}

export class HttpSender implements CallbackSender {
  /** Keep-alive connections shared by all callbacks; undici's request() skips fetch's per-call stream and signal objects. */
  private readonly agent: Agent;
  /** Agents for users with an allow-list of their own, made when their first callback goes. */
  private readonly userAgents = new Map<string, Agent>();

  private readonly http = undici();

  constructor(private readonly options: HttpSenderOptions) {
    this.agent = this.newAgent(options.egress);
  }

  private newAgent(egress: EgressConfig | undefined): Agent {
    const connectTimeout = Math.min(this.options.timeoutMs, 10_000);
    return new this.http.Agent({
      connections: this.options.connections,
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      ...(egress ? { connect: new EgressPolicy(egress).connector({ timeout: connectTimeout }) } : { connectTimeout }),
    });
  }

  private agentFor(owner: string | null | undefined): Agent {
    const extra = owner ? this.options.userAllow?.[owner] : undefined;
    if (!owner || !extra || extra.length === 0 || !this.options.egress) return this.agent;
    let agent = this.userAgents.get(owner);
    if (!agent) {
      agent = this.newAgent({ ...this.options.egress, allow: [...this.options.egress.allow, ...extra] });
      this.userAgents.set(owner, agent);
    }
    return agent;
  }

  async send(attempt: CallbackAttempt): Promise<CallbackOutcome> {
    try {
      const response = await this.http.request(attempt.url, {
        method: attempt.method,
        headers: attempt.headers,
        body: attempt.method === 'GET' ? undefined : attempt.body,
        dispatcher: this.agentFor(attempt.owner),
      });
      // The status decides the outcome; the body is read only to keep the connection for the next callback. A
      // receiver that trickles it (undici's bodyTimeout is per chunk) must not hold this send, and with it one of
      // `concurrency` places every other receiver's callbacks wait for: past timeoutMs the connection is cut.
      const cut = setTimeout(() => response.body.destroy(), this.options.timeoutMs);
      await response.body.dump().catch(() => undefined);
      clearTimeout(cut);
      return { status: response.statusCode };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === ErrorCode.EGRESS_DENIED) return { error: (err as Error).message, permanent: true };
      const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
      return { error: timedOut ? `no answer within ${this.options.timeoutMs} ms` : (code ?? (err as Error).message) };
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.agent, ...this.userAgents.values()].map((agent) => agent.destroy().catch(() => undefined)));
  }
}
