/**
 * The node's outgoing HTTP over node:http's client: the checks every request
 * to a URL someone else chose goes through, and `HttpClient.fetch` for the
 * requests whose answer the node reads (OzML app notifications, prompt
 * downloads). The callback sender (src/webhooks/http-sender.ts) shares the
 * checks and keeps its own exchange.
 *
 * node:http's response parser is llhttp compiled into Node. undici, which
 * these requests used before, runs the same parser as WebAssembly, and V8
 * compiling and tiering that up at the first request cost 45 MiB of peak
 * memory, 21 MiB kept, and 60 ms of that first request: the first call of a
 * voice node waited for it (decisions 0126, 0127).
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { EgressPolicy } from './egress.js';
import { AppError, ErrorCode } from './errors.js';

/** Keep-alive connections for both schemes. */
export interface HttpAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

/**
 * An idle kept-alive connection is closed after this long (or before the peer's own `Keep-Alive: timeout=`, which
 * node's Agent honours only below this): a server closes idle connections too — Node's after 5 s — and a request
 * sent on one it has just closed would fail (a callback would wait for its back-off). undici's default.
 */
const IDLE_CONNECTION_MS = 4_000;

/** Keep-alive agents with at most `maxSockets` connections per origin (none: no limit). */
export function httpAgents(maxSockets?: number): HttpAgents {
  const options = { keepAlive: true, timeout: IDLE_CONNECTION_MS, ...(maxSockets ? { maxSockets } : {}) };
  return { http: new HttpAgent(options), https: new HttpsAgent(options) };
}

/**
 * The URL, parsed, if the node may request it: http or https and, under a policy, an address literal the policy
 * allows. A name is checked as it resolves, by the policy's lookup (`openRequest`): net.connect never looks an
 * address literal up, so those are checked here. Throws EGRESS_DENIED.
 */
export async function requestTarget(url: string, policy: EgressPolicy | null): Promise<URL> {
  let parsed: URL;
  if (policy) parsed = policy.parse(url);
  else {
    try {
      parsed = new URL(url);
    } catch {
      throw new AppError(ErrorCode.EGRESS_DENIED, `not a URL: ${url.slice(0, 200)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new AppError(ErrorCode.EGRESS_DENIED, `only http and https URLs are fetched, not ${parsed.protocol}`);
  }
  if (policy && isIP(hostOf(parsed))) await policy.allowedAddresses(hostOf(parsed), portOf(parsed));
  return parsed;
}

/** A request to a URL `requestTarget` gave: the scheme's agent and, under a policy, a lookup that connects only to addresses it allows. */
export function openRequest(
  url: URL,
  agents: HttpAgents,
  policy: EgressPolicy | null,
  options: Pick<RequestOptions, 'method' | 'headers' | 'signal'>,
): ClientRequest {
  const secure = url.protocol === 'https:';
  return (secure ? httpsRequest : httpRequest)(url, {
    ...options,
    agent: secure ? agents.https : agents.http,
    ...(policy && !isIP(hostOf(url)) ? { lookup: policy.lookup(portOf(url)) } : {}),
  });
}

export interface FetchOptions {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Ends the whole exchange — connecting, the answer's head and its body — when it aborts. */
  signal: AbortSignal;
  /** The answer's body is read up to this many bytes; a longer one fails the fetch and its connection is dropped. */
  maxBytes: number;
  /** The code of the error a body over `maxBytes` fails with. */
  tooLargeCode: ErrorCode;
}

export interface FetchedAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Requests whose whole answer the node reads, within the caller's signal and a size limit. Fails with EGRESS_DENIED
 * when the policy refuses the URL, with `tooLargeCode` when the body is too long, and otherwise with what the socket
 * or the signal (an AbortError whose cause is the signal's reason) gave.
 */
export class HttpClient {
  private readonly agents = httpAgents();

  /** `policy`: where requests may go; null: anywhere (still only http and https). */
  constructor(private readonly policy: EgressPolicy | null) {}

  async fetch(url: string, options: FetchOptions): Promise<FetchedAnswer> {
    const target = await requestTarget(url, this.policy);
    options.signal.throwIfAborted();
    const body = options.body === undefined ? null : Buffer.from(options.body);
    const headers: Record<string, string | number> = { ...options.headers };
    if (body) headers['content-length'] = body.length;
    return new Promise<FetchedAnswer>((resolve, reject) => {
      const request = openRequest(target, this.agents, this.policy, { method: options.method, headers, signal: options.signal });
      request.on('error', reject);
      request.on('response', (response) => {
        const tooLarge = (why: string) => {
          reject(new AppError(options.tooLargeCode, why));
          response.destroy();
        };
        const declared = Number(response.headers['content-length'] ?? 0);
        if (declared > options.maxBytes) return tooLarge(`the answer is ${declared} bytes; at most ${options.maxBytes} are read`);
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) return tooLarge(`the answer is larger than ${options.maxBytes} bytes`);
          chunks.push(chunk);
        });
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('close', () => {
          if (!response.complete) reject(new Error('the connection closed before the whole answer came'));
        });
      });
      request.end(body ?? undefined);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/** The URL's host as an address or a name: an IPv6 address without its brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** The URL's port, or its scheme's. */
export function portOf(url: URL): number {
  return Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
}
