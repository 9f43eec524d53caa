/**
 * One call through drachtio-server, as the rest of telenode sees it.
 * drachtio-server owns the transactions: 100 Trying, 2xx retransmission,
 * CANCEL → 487, and the BYE when no ACK comes (timer H). We keep the call's
 * state: the INVITE's request/response until we answer, then its SrfDialog.
 *
 *   ringing ──answer()──► 200 sent ──ACK──► confirmed ──BYE──► ended
 *      │                     └── no ACK: drachtio sends BYE ──► ended (ack-timeout)
 *      ├──reject()──► ended (rejected)
 *      └──CANCEL────► 487 (by drachtio), ended (cancelled)
 *   any state ── connection to drachtio-server lost ──► ended (failed)
 */
import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import type { SrfDialog, SrfRequest, SrfResponse } from 'drachtio-srf';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import { replacesReferTo, type CallEndReason, type CallInfo, type DialogIds, type IncomingCall } from '../call-control.js';
import { parseInfoDigit } from '../info-dtmf.js';

export class DrachtioCall extends EventEmitter implements IncomingCall {
  remoteSdp: string | null;
  onModify: ((remoteSdp: string) => string) | null = null;
  onInfoDigit: ((digit: string) => void) | null = null;
  readonly ended: Promise<CallEndReason>;
  private endedReason: CallEndReason | null = null;
  private resolveEnded!: (reason: CallEndReason) => void;
  private dialog: SrfDialog | null = null;
  private finalSent = false;
  /** Settles when the ACK for our 200 arrives (with its SDP), or the call ends first. */
  private confirmed: Promise<string | null> | null = null;

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
    if (!this.req || !this.res || this.finalSent) throw new AppError(ErrorCode.CALL_STATE, 'cannot answer this call');
    this.finalSent = true;
    const offered = this.remoteSdp;
    const dialog = await this.srf.createUAS(this.req, this.res, { localSdp });
    // createUAS resolves as the 200 goes out; the call is confirmed by the ACK,
    // which for a late offer (an INVITE without SDP) carries the answer.
    this.confirmed = new Promise<string | null>((resolve, reject) => {
      dialog.once('ack', (ack: SrfRequest) => resolve(ack.body || null));
      void this.ended.then((reason) => reject(new AppError(ErrorCode.CALL_ENDED, `the call ended (${reason}) before the ACK`)));
    });
    this.confirmed.catch(() => undefined); // a caller that never awaits must not see an unhandled rejection
    this.adopt(dialog);
    const ackSdp = await this.confirmed;
    if (!offered && ackSdp) this.remoteSdp = ackSdp;
    return offered ? null : ackSdp;
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
    // RFC 3261 §15: no BYE before the ACK of our 200 (or its timeout, when drachtio sends the BYE).
    if (this.confirmed) await this.confirmed.catch(() => undefined);
    if (this.isEnded) return;
    this.end('local-hangup');
    await this.dialog.destroy().catch((err: unknown) => this.log.debug({ err }, 'BYE failed'));
  }

  /** drachtio-server, which holds this call's dialog, is gone: nothing can be signalled any more. */
  connectionLost(): void {
    if (this.isEnded) return;
    this.log.warn('connection to drachtio-server lost; the call cannot continue');
    this.finalSent = true;
    if (this.dialog) this.srf.removeDialog(this.dialog);
    this.end('failed');
  }

  get dialogIds(): DialogIds | null {
    const dialog = this.dialog;
    if (!dialog || this.isEnded) return null;
    return { callId: dialog.sip.callId, localTag: dialog.sip.localTag, remoteTag: dialog.sip.remoteTag, remoteTarget: dialog.remote.uri };
  }

  async transfer(target: string): Promise<void> {
    if (!this.dialog) throw new AppError(ErrorCode.CALL_STATE, 'the call is not answered');
    const host = /@([^;>]+)/.exec(this.dialog.remote.uri)?.[1] ?? '';
    await this.refer(/^sips?:/i.test(target) ? target : `sip:${target}@${host}`);
  }

  async transferReplacing(other: DialogIds): Promise<void> {
    await this.refer(replacesReferTo(other));
  }

  private async refer(referTo: string): Promise<void> {
    if (!this.dialog) throw new AppError(ErrorCode.CALL_STATE, 'the call is not answered');
    const response = await this.dialog.request({ method: 'REFER', headers: { 'Refer-To': `<${referTo}>`, 'Referred-By': `<${this.dialog.local.uri}>` } });
    if (response.status >= 300) throw new AppError(ErrorCode.SIP_REQUEST_FAILED, `REFER answered ${response.status}`, { protocolStatus: response.status });
    await this.hangup();
  }

  async reinvite(localSdp: string): Promise<string> {
    if (!this.dialog || this.isEnded) throw new AppError(ErrorCode.CALL_STATE, 'the call is not answered');
    try {
      // drachtio-srf sends the re-INVITE and its ACK, one re-INVITE of a dialog at a time.
      const answer = await this.dialog.modify(localSdp);
      this.remoteSdp = answer;
      return answer;
    } catch (err) {
      const status = (err as { status?: number }).status;
      throw new AppError(ErrorCode.SIP_REQUEST_FAILED, `re-INVITE failed${status ? `: answered ${status}` : ''}`, { protocolStatus: status, cause: err });
    }
  }

  adopt(dialog: SrfDialog): void {
    this.dialog = dialog;
    if (!this.remoteSdp) this.remoteSdp = dialog.remote.sdp || null;
    // drachtio-server itself sends the BYE when our 200 is never ACKed, and
    // tells drachtio-srf with Reason text "ACK timeout".
    dialog.on('destroy', (_bye: SrfRequest, reason?: string) => this.end(/ack timeout/i.test(reason ?? '') ? 'ack-timeout' : 'remote-hangup'));
    dialog.on('modify', (req: SrfRequest, res: SrfResponse) => {
      let answer: string;
      if (!req.body || !this.onModify) {
        // A session refresh without SDP, or nobody to ask: keep media as it is (our SDP as the offer, RFC 3261 §14.2).
        answer = dialog.local.sdp;
      } else {
        try {
          answer = this.onModify(req.body);
        } catch (err) {
          this.log.warn({ err }, 're-INVITE offer not acceptable');
          res.send(488);
          return;
        }
        this.remoteSdp = req.body;
      }
      dialog.local.sdp = answer; // drachtio-srf answers session refreshes with it
      res.send(200, { body: answer, headers: { 'Content-Type': 'application/sdp', Contact: dialog.local.contact } });
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
