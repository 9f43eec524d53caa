/**
 * Sends one callback over HTTP and says what came back. The dispatcher
 * decides what an outcome means (delivered, retry, dead letter); a sender
 * only talks HTTP, on the calling thread (decision 0129).
 */
import { EgressPolicy, type EgressConfig } from '../shared/egress.js';
import { requestTarget } from '../shared/http-client.js';
import { CallbackConnections } from './callback-connections.js';
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
}

export interface HttpSenderOptions {
  /** No answer (headers or body) within this time is a failed attempt. */
  timeoutMs: number;
  /** Keep-alive connections per receiver origin. */
  connections: number;
  /** Where callbacks may go; none: anywhere. */
  egress?: EgressConfig;
  /** Ranges each API user may also reach with the callback URLs they give (users[].egress.allow). */
  userAllow?: Record<string, string[]>;
}

/** A sender's options as the webhook config sets them: one keep-alive connection per callback in flight. */
export function httpSenderOptions(config: WebhookConfig, egress?: EgressConfig, userAllow?: Record<string, string[]>): HttpSenderOptions {
  return { timeoutMs: config.timeoutMs, connections: config.concurrency, ...(egress ? { egress } : {}), ...(userAllow ? { userAllow } : {}) };
}

interface Connections {
  pool: CallbackConnections;
  /** The egress policy these connections are checked against; null: anywhere. */
  policy: EgressPolicy | null;
}

/**
 * Callbacks over keep-alive HTTP/1.1 connections of the sender's own (callback-connections.ts), on the calling
 * thread: node:http's client cost three times the CPU a callback, and undici's before it compiled its WebAssembly
 * parser at every start (decisions 0126, 0129).
 */
export class HttpSender implements CallbackSender {
  /** Keep-alive connections shared by all callbacks, `connections` per receiver origin. */
  private readonly connections: Connections;
  /** Connections for users with an allow-list of their own, made when their first callback goes. */
  private readonly userConnections = new Map<string, Connections>();

  constructor(private readonly options: HttpSenderOptions) {
    this.connections = this.newConnections(options.egress);
  }

  private newConnections(egress: EgressConfig | undefined): Connections {
    const policy = egress ? new EgressPolicy(egress) : null;
    const pool = new CallbackConnections({
      perOrigin: this.options.connections,
      timeoutMs: this.options.timeoutMs,
      ...(policy ? { lookup: (port: number) => policy.lookup(port) } : {}),
    });
    return { pool, policy };
  }

  private connectionsFor(owner: string | null | undefined): Connections {
    const extra = owner ? this.options.userAllow?.[owner] : undefined;
    if (!owner || !extra || extra.length === 0 || !this.options.egress) return this.connections;
    let connections = this.userConnections.get(owner);
    if (!connections) {
      connections = this.newConnections({ ...this.options.egress, allow: [...this.options.egress.allow, ...extra] });
      this.userConnections.set(owner, connections);
    }
    return connections;
  }

  async send(attempt: CallbackAttempt): Promise<CallbackOutcome> {
    const { pool, policy } = this.connectionsFor(attempt.owner);
    let url: URL;
    try {
      url = await requestTarget(attempt.url, policy);
    } catch (err) {
      return { error: (err as Error).message, permanent: true };
    }
    return pool.exchange({ url, method: attempt.method, headers: attempt.headers, body: attempt.method === 'GET' ? null : attempt.body });
  }

  async close(): Promise<void> {
    for (const { pool } of [this.connections, ...this.userConnections.values()]) pool.close();
  }
}
