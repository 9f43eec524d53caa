/**
 * The production SIP engine: drachtio-srf talking to a drachtio-server,
 * which owns transports, transactions and dialog timers; we keep calls and
 * media. drachtio-srf reconnects by itself when the server restarts; we log
 * each (re)connection and report `up` in /health.
 */
import { randomUUID } from 'node:crypto';
import Srf, { type SrfDialog, type SrfRequest, type SrfResponse } from 'drachtio-srf';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import { userOf, type CallControl, type CallInfo, type DialRequest, type EngineStatus, type IncomingCall, type SipCall } from '../call-control.js';
import { DrachtioCall } from './drachtio-call.js';

export interface DrachtioEngineConfig {
  host: string;
  port: number;
  secret: string;
  contactUser: string;
  /** How long start() waits for the first connection. */
  connectTimeoutMs?: number;
}

export class DrachtioSipEngine implements CallControl {
  readonly engine = 'drachtio' as const;
  private readonly srf = new Srf();
  private connected = false;
  private listen: string[] = [];
  private handler: ((call: IncomingCall) => void) | null = null;
  private readonly calls = new Set<DrachtioCall>();

  constructor(
    private readonly config: DrachtioEngineConfig,
    private readonly log: Logger,
  ) {}

  start(): Promise<void> {
    this.srf.invite((req, res) => this.onInvite(req, res));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new AppError(ErrorCode.SIP_START_FAILED, `no drachtio-server at ${this.config.host}:${this.config.port} within ${this.config.connectTimeoutMs ?? 10_000} ms`)),
        this.config.connectTimeoutMs ?? 10_000,
      );
      this.srf.on('connect', (err: Error | null, hostports: string) => {
        if (err) return;
        this.connected = true;
        this.listen = String(hostports ?? '').split(',').filter(Boolean);
        this.log.info({ engine: 'drachtio', server: `${this.config.host}:${this.config.port}`, listen: this.listen }, 'connected to drachtio-server');
        clearTimeout(timer);
        resolve();
      });
      this.srf.on('error', (err: Error) => {
        if (this.connected) this.log.warn({ err }, 'drachtio-server connection lost; drachtio-srf reconnects');
        this.connected = false;
      });
      this.srf.connect({ host: this.config.host, port: this.config.port, secret: this.config.secret });
    });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.calls].map((c) => c.hangup().catch(() => undefined)));
    this.srf.disconnect();
    this.connected = false;
  }

  onIncomingCall(handler: (call: IncomingCall) => void): void {
    this.handler = handler;
  }

  async dial(request: DialRequest): Promise<SipCall> {
    let pending: SrfRequest | null = null;
    const timer = setTimeout(() => pending?.cancel(), request.timeoutMs);
    let dialog: SrfDialog;
    try {
      dialog = await this.srf.createUAC(
        request.target,
        { localSdp: request.localSdp, callingNumber: request.callerId, headers: request.headers, auth: request.auth },
        { cbRequest: (_err, req) => (pending = req) },
      );
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      throw new AppError(ErrorCode.CALL_FAILED, `call to ${request.target} failed: ${status}`, { protocolStatus: status, cause: err, retryable: status >= 500 || status === 408 || status === 480 || status === 486 });
    } finally {
      clearTimeout(timer);
    }
    const info: CallInfo = {
      id: randomUUID(),
      sipCallId: dialog.sip.callId,
      direction: 'outbound',
      from: { uri: dialog.local.uri, user: request.callerId, displayName: null },
      to: { uri: dialog.remote.uri, user: userOf(request.target), displayName: null },
      source: `drachtio:${request.target}`,
      headers: {},
    };
    const call = new DrachtioCall(info, this.srf, null, null, this.log.child({ callId: info.id }), (c) => this.calls.delete(c));
    call.adopt(dialog);
    this.calls.add(call);
    return call;
  }

  status(): EngineStatus {
    return { engine: 'drachtio', up: this.connected, listen: this.listen, registrations: [], activeDialogs: this.calls.size };
  }

  private onInvite(req: SrfRequest, res: SrfResponse): void {
    if (!this.handler) {
      res.send(503);
      return;
    }
    const from = req.getParsedHeader('from');
    const to = req.getParsedHeader('to');
    const info: CallInfo = {
      id: randomUUID(),
      sipCallId: req.callId,
      direction: 'inbound',
      from: { uri: from.uri, user: userOf(from.uri), displayName: from.name ? from.name.replace(/^"|"$/g, '') : null },
      to: { uri: to.uri, user: userOf(to.uri), displayName: null },
      source: `${String(req.protocol ?? 'udp').toLowerCase()}:${req.source_address}:${req.source_port}`,
      headers: Object.fromEntries(Object.entries(req.headers ?? {}).filter(([k]) => k.toLowerCase().startsWith('x-') || k.toLowerCase() === 'diversion').map(([k, v]) => [k.toLowerCase(), String(v)])),
    };
    const call = new DrachtioCall(info, this.srf, req, res, this.log.child({ callId: info.id }), (c) => this.calls.delete(c));
    this.calls.add(call);
    this.handler(call);
  }
}
