/**
 * The production SIP engine: drachtio-srf talking to a drachtio-server,
 * which owns transports, transactions and dialog timers; we keep calls and
 * media. drachtio-srf reconnects by itself when the server restarts; we log
 * each (re)connection and report `up` in /health.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import Srf, { type SrfDialog, type SrfRequest, type SrfResponse } from 'drachtio-srf';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import { userOf, type CallControl, type CallEndReason, type CallInfo, type DialRequest, type EngineStatus, type IncomingCall, type SipCall } from '../call-control.js';
import { parseInfoDigit } from '../info-dtmf.js';

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

/** A call through drachtio: the request/response until answered, then its SrfDialog. */
class DrachtioCall extends EventEmitter implements IncomingCall {
  remoteSdp: string | null;
  onModify: ((remoteSdp: string) => string) | null = null;
  onInfoDigit: ((digit: string) => void) | null = null;
  readonly ended: Promise<CallEndReason>;
  private endedReason: CallEndReason | null = null;
  private resolveEnded!: (reason: CallEndReason) => void;
  private dialog: SrfDialog | null = null;
  private finalSent = false;

  constructor(
    readonly info: CallInfo,
    private readonly srf: Srf,
    private readonly req: SrfRequest | null,
    private readonly res: SrfResponse | null,
    private readonly log: Logger,
    private readonly onEnd: (call: DrachtioCall) => void,
  ) {
    super();
    this.remoteSdp = req?.body || null;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    req?.on('cancel', () => {
      this.finalSent = true;
      this.end('cancelled');
    });
  }

  get isEnded(): boolean {
    return this.endedReason !== null;
  }

  ringing(): void {
    if (!this.finalSent) this.res?.send(180);
  }

  async answer(localSdp: string): Promise<string | null> {
    if (!this.req || !this.res || this.finalSent) throw new Error('cannot answer this call');
    this.finalSent = true;
    const offered = this.remoteSdp;
    const dialog = await this.srf.createUAS(this.req, this.res, { localSdp });
    this.adopt(dialog);
    // Late offer: drachtio stores the ACK's SDP as the remote SDP.
    return offered ? null : dialog.remote.sdp || null;
  }

  reject(status: number, reason?: string): void {
    if (!this.res || this.finalSent) return;
    this.finalSent = true;
    this.res.send(status, reason);
    this.end('rejected');
  }

  async hangup(): Promise<void> {
    if (this.isEnded) return;
    if (!this.dialog) {
      this.reject(480, 'Temporarily Unavailable');
      return;
    }
    this.end('local-hangup');
    await this.dialog.destroy().catch((err: unknown) => this.log.debug({ err }, 'BYE failed'));
  }

  async transfer(target: string): Promise<void> {
    if (!this.dialog) throw new Error('the call is not answered');
    const host = /@([^;>]+)/.exec(this.dialog.remote.uri)?.[1] ?? '';
    const referTo = /^sips?:/i.test(target) ? target : `sip:${target}@${host}`;
    const response = await this.dialog.request({ method: 'REFER', headers: { 'Refer-To': `<${referTo}>`, 'Referred-By': `<${this.dialog.local.uri}>` } });
    if (response.status >= 300) throw new AppError(ErrorCode.SIP_REQUEST_FAILED, `REFER answered ${response.status}`, { protocolStatus: response.status });
    await this.hangup();
  }

  adopt(dialog: SrfDialog): void {
    this.dialog = dialog;
    if (!this.remoteSdp) this.remoteSdp = dialog.remote.sdp || null;
    dialog.on('destroy', () => this.end('remote-hangup'));
    dialog.on('modify', (req: SrfRequest, res: SrfResponse) => {
      try {
        const answer = this.onModify ? this.onModify(req.body) : dialog.local.sdp;
        this.remoteSdp = req.body;
        res.send(200, { body: answer, headers: { 'Content-Type': 'application/sdp' } });
      } catch {
        res.send(488);
      }
    });
    dialog.on('info', (req: SrfRequest, res: SrfResponse) => {
      res.send(200);
      const digit = parseInfoDigit(req.get('Content-Type'), req.body ?? '');
      if (digit) this.onInfoDigit?.(digit);
    });
    dialog.on('refer', (_req: SrfRequest, res: SrfResponse) => res.send(603));
  }

  private end(reason: CallEndReason): void {
    if (this.endedReason) return;
    this.endedReason = reason;
    this.onEnd(this);
    this.resolveEnded(reason);
  }
}
