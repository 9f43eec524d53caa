/**
 * An INVITE we send (UAC side): digest authentication when the trunk
 * challenges (once), CANCEL when nobody answers in time (§9.1), and our own
 * ACK for the 2xx and its retransmissions (§13.2.2.4).
 */
import { randomBytes } from 'node:crypto';
import type * as sip from 'sip';
import * as digest from 'sip/digest.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import { userOf, type CallInfo, type DialRequest } from '../call-control.js';
import { ALLOW, BuiltinCall } from './builtin-call.js';
import { Dialog, newTag } from './dialog.js';

export class BuiltinOutboundCall extends BuiltinCall {
  private invite: sip.SipRequest | null = null;
  private answered = false;
  private finalSeen = false;
  /** The ring time ran out and the caller was told: a 2xx that still comes is ACKed and hung up (§9.1). */
  private gaveUp = false;
  private readonly localTag = newTag();

  constructor(
    info: CallInfo,
    private readonly request: DialRequest,
    private readonly contactUri: string,
    private readonly fromUri: string,
    stack: sip.Stack,
    log: Logger,
    private readonly registerDialog: (call: BuiltinOutboundCall) => void,
    onEnd: (call: BuiltinCall) => void,
  ) {
    super(info, null, stack, log, onEnd);
  }

  static newCallId(host: string): string {
    return `${randomBytes(10).toString('hex')}@${host}`;
  }

  /** Resolves when the far end answers. */
  place(): Promise<void> {
    return new Promise((resolve, reject) => {
      let authTried = false;
      // The ring time bounds the attempt whatever the far end does: CANCEL, and give up now rather than
      // wait for a 487 that a silent peer never sends (Timer B would hold the caller 32 s, §17.1.1.2).
      const timer = setTimeout(() => {
        if (this.answered || this.finalSeen) return;
        this.cancel();
        this.gaveUp = true;
        this.finalSeen = true;
        this.end('cancelled');
        reject(
          new AppError(ErrorCode.CALL_FAILED, `call to ${this.request.target} failed: 487 not answered within ${Math.round(this.request.timeoutMs / 1000)} s`, {
            protocolStatus: 487,
          }),
        );
      }, this.request.timeoutMs);
      const fail = (status: number, reason: string) => {
        clearTimeout(timer);
        this.end(status === 487 ? 'cancelled' : 'rejected');
        reject(
          new AppError(ErrorCode.CALL_FAILED, `call to ${this.request.target} failed: ${status} ${reason}`, {
            protocolStatus: status,
            retryable: status >= 500 || status === 408 || status === 480 || status === 486,
          }),
        );
      };
      const onResponse = (response: sip.SipResponse) => {
        if (response.status < 200) return;
        if (response.status < 300) {
          clearTimeout(timer);
          if (this.gaveUp) {
            this.hangUpLateAnswer(response);
            return;
          }
          this.onSuccess(response);
          resolve();
          return;
        }
        if ((response.status === 401 || response.status === 407) && this.request.auth && !authTried) {
          authTried = true;
          this.send(this.nextInvite(response), onResponse);
          return;
        }
        if (this.finalSeen) return;
        this.finalSeen = true;
        fail(response.status, response.reason);
      };
      this.send(this.firstInvite(), onResponse);
    });
  }

  async hangup(): Promise<void> {
    if (!this.answered) {
      this.cancel();
      return;
    }
    await this.sendBye();
  }

  private firstInvite(): sip.SipRequest {
    return {
      method: 'INVITE',
      uri: this.request.target,
      version: '2.0',
      headers: {
        via: [],
        to: { uri: this.request.target, params: {} },
        from: { uri: this.fromUri, params: { tag: this.localTag } },
        'call-id': this.info.sipCallId,
        cseq: { seq: 1, method: 'INVITE' },
        contact: [{ uri: this.contactUri, params: {} }],
        'max-forwards': '70',
        allow: ALLOW,
        'content-type': 'application/sdp',
        ...this.request.headers,
      } as sip.SipHeaders,
      content: this.request.localSdp,
    };
  }

  /** The INVITE again with credentials (§22.2): new CSeq, new branch. */
  private nextInvite(challenge: sip.SipResponse): sip.SipRequest {
    const previous = this.invite!;
    const next: sip.SipRequest = { ...previous, headers: { ...previous.headers, via: [], cseq: { seq: previous.headers.cseq.seq + 1, method: 'INVITE' } } };
    digest.signRequest({}, next, challenge, { user: this.request.auth!.username, password: this.request.auth!.password });
    return next;
  }

  private send(invite: sip.SipRequest, onResponse: (response: sip.SipResponse) => void): void {
    this.invite = invite;
    this.stack.send(invite, onResponse);
  }

  private dialogFrom(response: sip.SipResponse): Dialog {
    const contact = response.headers.contact;
    return new Dialog(this.stack, {
      callId: this.info.sipCallId,
      localUri: this.fromUri,
      localTag: this.localTag,
      remoteUri: response.headers.to.uri,
      remoteTag: String(response.headers.to.params['tag'] ?? ''),
      remoteTarget: contact && contact !== '*' && contact[0] ? contact[0].uri : this.request.target,
      routeSet: [...(response.headers['record-route'] ?? [])].reverse(), // UAC reverses Record-Route (§12.1.2)
      localSeq: this.invite!.headers.cseq.seq,
      contact: this.contactUri,
    });
  }

  /** Answered after we gave up (the CANCEL crossed the 200): ACK it and end that dialog at once (§9.1, §15). */
  private hangUpLateAnswer(response: sip.SipResponse): void {
    const dialog = this.dialogFrom(response);
    this.stack.send(dialog.makeRequest('ACK', { seq: this.invite!.headers.cseq.seq }));
    void dialog.request('BYE');
    this.log.info({ status: response.status }, 'answered after the ring time ran out: hung up');
  }

  private onSuccess(response: sip.SipResponse): void {
    if (!this.answered) {
      this.answered = true;
      this.dialog = this.dialogFrom(response);
      this.remoteSdp = response.content || null;
      this.info.to.user = userOf(response.headers.to.uri);
      this.registerDialog(this);
    }
    // ACK every 2xx, retransmissions included: same CSeq number as the INVITE, new transaction.
    const ack = this.dialog!.makeRequest('ACK', { seq: this.invite!.headers.cseq.seq });
    this.stack.send(ack);
  }

  private cancel(): void {
    if (this.answered || this.finalSeen || !this.invite) return;
    const invite = this.invite;
    // CANCEL matches the INVITE by its top Via branch and CSeq number (§9.1).
    this.stack.send({
      method: 'CANCEL',
      uri: invite.uri,
      version: '2.0',
      headers: {
        via: [invite.headers.via[0]!],
        to: invite.headers.to,
        from: invite.headers.from,
        'call-id': invite.headers['call-id'],
        cseq: { seq: invite.headers.cseq.seq, method: 'CANCEL' },
        'max-forwards': '70',
        route: invite.headers.route,
      } as sip.SipHeaders,
      content: '',
    });
  }
}
