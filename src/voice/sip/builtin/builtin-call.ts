/**
 * What inbound and outbound calls of the built-in engine share once a dialog
 * exists: in-dialog requests from the far end (BYE, re-INVITE, INFO, NOTIFY,
 * OPTIONS), our BYE, REFER and re-INVITE, and the one `ended` promise.
 */
import type * as sip from 'sip';
import type { Logger } from '../../../shared/log.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { replacesReferTo, type CallEndReason, type CallInfo, type DialogIds, type SipCall } from '../call-control.js';
import { type Dialog, targetUri } from './dialog.js';
import { parseInfoDigit } from '../info-dtmf.js';
import { reasonPhrase } from '../reason-phrases.js';

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY';

export abstract class BuiltinCall implements SipCall {
  remoteSdp: string | null;
  onModify: ((remoteSdp: string) => string) | null = null;
  onInfoDigit: ((digit: string) => void) | null = null;
  readonly ended: Promise<CallEndReason>;
  protected dialog: Dialog | null = null;
  private endedReason: CallEndReason | null = null;
  private resolveEnded!: (reason: CallEndReason) => void;

  constructor(
    readonly info: CallInfo,
    remoteSdp: string | null,
    protected readonly stack: sip.Stack,
    protected readonly log: Logger,
    /** Called once when the call ends, so the engine forgets it. */
    private readonly onEnd: (call: BuiltinCall) => void,
  ) {
    this.remoteSdp = remoteSdp;
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
  }

  get isEnded(): boolean {
    return this.endedReason !== null;
  }

  get dialogKey(): string | null {
    return this.dialog?.key ?? null;
  }

  abstract hangup(): Promise<void>;

  get dialogIds(): DialogIds | null {
    const dialog = this.dialog;
    if (!dialog || this.isEnded) return null;
    return { callId: dialog.id.callId, localTag: dialog.id.localTag, remoteTag: dialog.id.remoteTag, remoteTarget: dialog.remoteTarget };
  }

  /** Blind transfer (RFC 3515, RFC 5589 §6): REFER, and once accepted, our leg is done. */
  async transfer(target: string): Promise<void> {
    await this.refer(targetUri(target, this.requireDialog().id.remoteUri));
  }

  async transferReplacing(other: DialogIds): Promise<void> {
    await this.refer(replacesReferTo(other));
  }

  private async refer(referTo: string): Promise<void> {
    const dialog = this.requireDialog();
    await dialog.requestOk('REFER', { headers: { 'refer-to': { uri: referTo, params: {} }, 'referred-by': `<${dialog.id.localUri}>` } });
    this.log.info({ referTo }, 'call transferred');
    await this.hangup();
  }

  /** Our re-INVITE (RFC 3261 §14.1). Every 2xx, retransmissions too, gets its ACK (§13.2.2.4); a 2xx's Contact refreshes the target (§12.2.1.2). */
  reinvite(localSdp: string): Promise<string> {
    const dialog = this.requireDialog();
    const invite = dialog.makeRequest('INVITE', { headers: { 'content-type': 'application/sdp' }, content: localSdp });
    const seq = invite.headers.cseq.seq;
    return new Promise((resolve, reject) => {
      let settled = false;
      this.stack.send(invite, (response) => {
        if (response.status < 200) return;
        if (response.status >= 300) {
          if (!settled)
            reject(new AppError(ErrorCode.SIP_REQUEST_FAILED, `re-INVITE answered ${response.status} ${response.reason}`, { protocolStatus: response.status }));
          settled = true;
          return;
        }
        const contact = response.headers.contact;
        if (contact && contact !== '*' && contact[0]) dialog.remoteTarget = contact[0].uri;
        this.stack.send(dialog.makeRequest('ACK', { seq }));
        if (settled) return;
        settled = true;
        if (!response.content) {
          reject(new AppError(ErrorCode.SDP_INVALID, 're-INVITE answered 2xx without an SDP answer'));
          return;
        }
        this.remoteSdp = response.content;
        resolve(response.content);
      });
    });
  }

  protected async sendBye(): Promise<void> {
    const dialog = this.dialog;
    if (!dialog || this.isEnded) return;
    this.end('local-hangup');
    const response = await dialog.request('BYE');
    if (response.status >= 300) this.log.debug({ status: response.status }, 'BYE answered with an error; the dialog is gone anyway');
  }

  /** A request inside our dialog. */
  inDialog(request: sip.SipRequest): void {
    const dialog = this.dialog!;
    if (request.method !== 'ACK') {
      if (request.headers.cseq.seq < dialog.remoteSeq) {
        dialog.respond(request, 500, 'Server Internal Error', { headers: { 'retry-after': '1' } });
        return;
      }
      dialog.remoteSeq = request.headers.cseq.seq;
    }
    switch (request.method) {
      case 'BYE':
        dialog.respond(request, 200, 'OK');
        this.end('remote-hangup');
        return;
      case 'INVITE':
        this.onReinvite(dialog, request);
        return;
      case 'INFO': {
        dialog.respond(request, 200, 'OK');
        const digit = parseInfoDigit(request.headers['content-type'], request.content);
        if (digit) this.onInfoDigit?.(digit);
        return;
      }
      case 'NOTIFY': // progress of a REFER we sent (RFC 3515 §2.4.4)
      case 'OPTIONS':
        dialog.respond(request, 200, 'OK', { headers: { allow: ALLOW } });
        return;
      case 'ACK':
        this.onAck(request);
        return;
      case 'REFER':
        dialog.respond(request, 603, reasonPhrase(603));
        return;
      default:
        dialog.respond(request, 405, 'Method Not Allowed', { headers: { allow: ALLOW } });
    }
  }

  protected onAck(_request: sip.SipRequest): void {
    // ACK of a re-INVITE's 2xx: nothing to do.
  }

  private onReinvite(dialog: Dialog, request: sip.SipRequest): void {
    if (request.headers.contact && request.headers.contact !== '*' && request.headers.contact[0]) {
      dialog.remoteTarget = request.headers.contact[0].uri; // §12.2.2: a target refresh
    }
    if (!request.content || !this.onModify) {
      // A session refresh without SDP, or nobody to ask: keep media as it is.
      dialog.respond(request, 200, 'OK', { headers: { contact: [{ uri: dialog.id.contact, params: {} }] } });
      return;
    }
    let answer: string;
    try {
      answer = this.onModify(request.content);
    } catch (err) {
      this.log.warn({ err }, 're-INVITE offer not acceptable');
      dialog.respond(request, 488, 'Not Acceptable Here');
      return;
    }
    this.remoteSdp = request.content;
    dialog.respond(request, 200, 'OK', {
      headers: { contact: [{ uri: dialog.id.contact, params: {} }], 'content-type': 'application/sdp' },
      content: answer,
    });
  }

  protected requireDialog(): Dialog {
    if (!this.dialog || this.isEnded) throw new AppError(ErrorCode.CALL_STATE, 'the call has no established dialog');
    return this.dialog;
  }

  protected end(reason: CallEndReason): void {
    if (this.endedReason) return;
    this.endedReason = reason;
    this.log.debug({ reason }, 'call ended');
    this.onEnd(this);
    this.resolveEnded(reason);
  }
}
