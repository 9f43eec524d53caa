/** The parts of the `sip` package (kirm/sip.js, CommonJS, untyped) that telenode uses. */
declare module 'sip' {
  export interface SipUri {
    schema?: string;
    user?: string;
    password?: string;
    host: string;
    port?: number;
    params: Record<string, string | null | undefined>;
    headers?: Record<string, string>;
  }

  export interface NameAddr {
    name?: string;
    uri: string;
    params: Record<string, string | null | undefined>;
  }

  export interface Via {
    version: string;
    protocol: string;
    host: string;
    port?: number;
    params: Record<string, string | null | undefined>;
  }

  export interface SipHeaders {
    via: Via[];
    to: NameAddr;
    from: NameAddr;
    'call-id': string;
    cseq: { seq: number; method: string };
    contact?: NameAddr[] | '*';
    route?: NameAddr[];
    'record-route'?: NameAddr[];
    'content-type'?: string;
    'content-length'?: number;
    [name: string]: unknown;
  }

  export interface SipRequest {
    method: string;
    uri: string;
    version: string;
    headers: SipHeaders;
    content: string;
  }

  export interface SipResponse {
    status: number;
    reason: string;
    version: string;
    headers: SipHeaders;
    content: string;
  }

  export type SipMessage = SipRequest | SipResponse;

  export interface Remote {
    protocol: string;
    address: string;
    port: number;
    local?: { address: string; port: number };
  }

  export interface StackOptions {
    port?: number;
    address?: string;
    publicAddress?: string;
    hostname?: string;
    udp?: boolean;
    tcp?: boolean;
    maxBytesHeaders?: number;
    maxContentLength?: number;
    /** telenode's patch (patches/sip+0.0.6.patch): limits on inbound TCP connections. */
    tcpLimits?: {
      total?: number;
      perSource?: number;
      /** What an address counts as for perSource (an IPv6 /64); the address itself when absent. */
      sourceKey?: (address: string) => string;
      idleTimeoutMs?: number;
      onRefused?: (source: string, open: number) => void;
    };
    logger?: {
      send?: (message: SipMessage, target: Remote) => void;
      recv?: (message: SipMessage, remote: Remote) => void;
      error?: (err: unknown) => void;
    };
  }

  export interface Stack {
    send(message: Partial<SipRequest> & { method: string; uri: string; headers: Partial<SipHeaders> }, callback?: (response: SipResponse) => void): void;
    send(message: SipResponse): void;
    /** telenode's patch: send a final response once and keep no transaction for its request (RFC 3261 §8.2.7). */
    sendStateless(message: SipResponse): void;
    destroy(): void;
    hostname(): string;
  }

  export function create(options: StackOptions, onRequest: (request: SipRequest, remote: Remote) => void): Stack;
  export function makeResponse(
    request: SipRequest,
    status: number,
    reason?: string,
    extension?: { headers?: Record<string, unknown>; content?: string },
  ): SipResponse;
  export function parseUri(uri: string | SipUri): SipUri;
  export function stringifyUri(uri: string | SipUri): string;
  export function parse(data: Buffer | string): SipMessage | undefined;
  export function stringify(message: SipMessage): string;
  /** An Authorization or WWW-Authenticate header's value from its parameters (values as they go on the wire, quoted). */
  export function stringifyAuthHeader(header: Record<string, unknown>): string;
  export function generateBranch(): string;
  export function copyMessage<T extends SipMessage>(message: T, deep?: boolean): T;
}

declare module 'sip/digest.js' {
  import type { SipRequest, SipResponse } from 'sip';
  export interface DigestContext {
    [key: string]: unknown;
  }
  export function signRequest(
    ctx: DigestContext | null,
    request: SipRequest,
    response?: SipResponse,
    credentials?: { user: string; password: string; realm?: string },
  ): DigestContext | null;
  export function calculateDigest(args: {
    ha1: string;
    nonce: string;
    nc?: string;
    cnonce?: string;
    qop?: string;
    method: string;
    uri: string;
    entity?: string;
  }): string;
  export function calculateUserRealmPasswordHash(user: string, realm: string, password: string): string;
}
