/**
 * Sends one callback over HTTP and says what came back. The dispatcher
 * decides what an outcome means (delivered, retry, dead letter); a sender
 * only talks HTTP. Two senders: `HttpSender` here, on the calling thread, and
 * `ThreadSender` (thread-sender.ts), the same HttpSender on a worker thread so
 * the daemon's event loop does not spend its time in HTTP client code.
 */
import type { IncomingMessage } from 'node:http';
import { EgressPolicy, type EgressConfig } from '../shared/egress.js';
import { ErrorCode } from '../shared/errors.js';
import { httpAgents, openRequest, requestTarget, type HttpAgents } from '../shared/http-client.js';
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

/** A connection that is not up after this long fails the attempt, whatever `timeoutMs` allows (undici's default). */
const CONNECT_TIMEOUT_MS = 10_000;

interface Agents extends HttpAgents {
  /** The egress policy these connections are checked against; null: anywhere. */
  policy: EgressPolicy | null;
}

/**
 * Callbacks over node:http's client, whose response parser is llhttp compiled into Node. undici's is the same parser
 * compiled to WebAssembly, and V8 tiering that up took 20–30 MiB of compile memory at every start — the node's peak
 * RSS when it was not flat out (decision 0126).
 */
export class HttpSender implements CallbackSender {
  /** Keep-alive connections shared by all callbacks, `connections` per receiver origin. */
  private readonly agents: Agents;
  /** Agents for users with an allow-list of their own, made when their first callback goes. */
  private readonly userAgents = new Map<string, Agents>();

  constructor(private readonly options: HttpSenderOptions) {
    this.agents = this.newAgents(options.egress);
  }

  private newAgents(egress: EgressConfig | undefined): Agents {
    return { ...httpAgents(this.options.connections), policy: egress ? new EgressPolicy(egress) : null };
  }

  private agentsFor(owner: string | null | undefined): Agents {
    const extra = owner ? this.options.userAllow?.[owner] : undefined;
    if (!owner || !extra || extra.length === 0 || !this.options.egress) return this.agents;
    let agents = this.userAgents.get(owner);
    if (!agents) {
      agents = this.newAgents({ ...this.options.egress, allow: [...this.options.egress.allow, ...extra] });
      this.userAgents.set(owner, agents);
    }
    return agents;
  }

  async send(attempt: CallbackAttempt): Promise<CallbackOutcome> {
    const agents = this.agentsFor(attempt.owner);
    let url: URL;
    try {
      url = await requestTarget(attempt.url, agents.policy);
    } catch (err) {
      return { error: (err as Error).message, permanent: true };
    }
    return this.exchange(url, attempt, agents);
  }

  /** One request and its answer's status, within the deadlines. */
  private exchange(url: URL, attempt: CallbackAttempt, agents: Agents): Promise<CallbackOutcome> {
    const body = attempt.method === 'GET' ? null : Buffer.from(attempt.body);
    const headers: Record<string, string | number> = { ...attempt.headers };
    if (body) headers['content-length'] = body.length;
    return new Promise((resolve) => {
      let settled = false;
      let deadline: NodeJS.Timeout | undefined;
      const settle = (outcome: CallbackOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(outcome);
      };
      const request = openRequest(url, agents, agents.policy, { method: attempt.method, headers });
      const timedOut = () => {
        settle({ error: `no answer within ${this.options.timeoutMs} ms` });
        request.destroy();
      };
      deadline = setTimeout(timedOut, this.options.timeoutMs);
      request.on('socket', (socket) => {
        if (!socket.connecting) return;
        const connectTimer = setTimeout(timedOut, Math.min(this.options.timeoutMs, CONNECT_TIMEOUT_MS));
        socket.once('connect', () => clearTimeout(connectTimer));
        socket.once('close', () => clearTimeout(connectTimer));
      });
      request.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === ErrorCode.EGRESS_DENIED) settle({ error: err.message, permanent: true });
        else settle({ error: err.code ?? err.message });
      });
      request.on('response', (response: IncomingMessage) => {
        // The status decides the outcome; the body is read only to keep the connection for the next callback. A
        // receiver that trickles it must not hold this send, and with it one of `concurrency` places every other
        // receiver's callbacks wait for: past timeoutMs the connection is cut.
        const status = response.statusCode ?? 0;
        clearTimeout(deadline);
        deadline = setTimeout(() => {
          settle({ status });
          response.destroy();
        }, this.options.timeoutMs);
        response.on('end', () => settle({ status }));
        response.on('error', () => settle({ status }));
        response.on('close', () => settle({ status }));
        response.resume();
      });
      request.end(body ?? undefined);
    });
  }

  async close(): Promise<void> {
    for (const agents of [this.agents, ...this.userAgents.values()]) {
      agents.http.destroy();
      agents.https.destroy();
    }
  }
}
