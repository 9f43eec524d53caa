/** The parts of `drachtio-srf` (CommonJS, untyped) that telenode uses. */
declare module 'drachtio-srf' {
  import type { EventEmitter } from 'node:events';

  export interface SrfRequest extends EventEmitter {
    method: string;
    uri: string;
    body: string;
    callId: string;
    source_address: string;
    source_port: number;
    protocol: string;
    headers: Record<string, string>;
    get(name: string): string | undefined;
    has(name: string): boolean;
    getParsedHeader(name: string): { name?: string; uri: string; params: Record<string, string> };
    cancel(callback?: () => void): void;
  }

  export interface SrfResponse {
    send(
      status: number,
      reason?: string | { headers?: Record<string, string>; body?: string },
      opts?: { headers?: Record<string, string>; body?: string },
    ): void;
    status: number;
    finished: boolean;
  }

  export interface SrfDialog extends EventEmitter {
    sip: { callId: string; localTag: string; remoteTag: string };
    local: { uri: string; sdp: string; contact: string };
    remote: { uri: string; sdp: string };
    connected: boolean;
    destroy(opts?: Record<string, unknown>): Promise<void>;
    request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; reason: string }>;
    /** A re-INVITE with `sdp` as our offer; resolves with the far end's answer, rejects with a SipError (`status`). */
    modify(sdp: string): Promise<string>;
  }

  export interface ConnectOptions {
    host: string;
    port: number;
    secret: string;
    /** Reconnect backoff: starts at 150 ms, ×1.7 a try; without retryMaxDelay it grows without bound. */
    reconnect?: { retryMaxDelay?: number };
  }

  export default class Srf extends EventEmitter {
    constructor();
    connect(options: ConnectOptions): void;
    disconnect(): void;
    /** Forget a dialog (drachtio-srf keeps every dialog until its BYE). */
    removeDialog(dialog: SrfDialog): void;
    invite(handler: (req: SrfRequest, res: SrfResponse) => void): void;
    options(handler: (req: SrfRequest, res: SrfResponse) => void): void;
    createUAS(req: SrfRequest, res: SrfResponse, opts: { localSdp: string | (() => string); headers?: Record<string, string> }): Promise<SrfDialog>;
    createUAC(
      uri: string,
      opts: { localSdp: string; headers?: Record<string, string>; callingNumber?: string; auth?: { username: string; password: string } },
      progress?: { cbRequest?: (err: Error | null, req: SrfRequest) => void; cbProvisional?: (res: { status: number }) => void },
    ): Promise<SrfDialog>;
  }
}
