/**
 * One call through drachtio-server, as the rest of telenode sees it.
 */
import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import type { SrfDialog, SrfRequest, SrfResponse } from 'drachtio-srf';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import type { CallEndReason, CallInfo, IncomingCall } from '../call-control.js';
import { parseInfoDigit } from '../info-dtmf.js';

/** A call through drachtio: the request/response until answered, then its SrfDialog. */
export class DrachtioCall extends EventEmitter implements IncomingCall {
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
