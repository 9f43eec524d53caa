/**
 * An INVITE we received, from ringing to the end of its dialog (UAS side).
 *
 *   ringing ──answer()──► answered ──ACK──► confirmed ──BYE──► ended
 *      │                     └── no ACK in 64·T1 ──► BYE, ended (ack-timeout)
 *      ├──reject()──► ended (rejected)
 *      └──CANCEL────► 487, ended (cancelled)
 *
 * Over UDP the 2xx is ours to retransmit until the ACK (RFC 3261 §13.3.1.4):
 * T1, doubling to T2; the INVITE transaction of the `sip` package does not.
 */
import type * as sip from 'sip';
import type { Logger } from '../../../shared/log.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { CallEndReason, CallInfo, IncomingCall } from '../call-control.js';
import { ALLOW, BuiltinCall } from './builtin-call.js';
import { Dialog, makeResponseWithTag, newTag } from './dialog.js';
import { reasonPhrase } from '../reason-phrases.js';

const T1_MS = 500;
const T2_MS = 4000;

type UasState = 'ringing' | 'answered' | 'confirmed' | 'ended';

export class BuiltinIncomingCall extends BuiltinCall implements IncomingCall {
  private state: UasState = 'ringing';
  private readonly localTag = newTag();
  private retransmit: NodeJS.Timeout | null = null;
  private giveUp: NodeJS.Timeout | null = null;
  private acked: ((sdp: string | null) => void) | null = null;
  private ackFailed: ((err: Error) => void) | null = null;

  constructor(
    info: CallInfo,
    private readonly invite: sip.SipRequest,
    private readonly reliable: boolean,
    private readonly contactUri: string,
    stack: sip.Stack,
    log: Logger,
    /** The engine indexes the dialog once it exists, so in-dialog requests find us. */
    private readonly registerDialog: (call: BuiltinIncomingCall) => void,
    onEnd: (call: BuiltinCall) => void,
  ) {
    super(info, invite.content ? invite.content : null, stack, log, onEnd);
    this.send(100, 'Trying');
  }

  get inviteBranch(): string {
    return String(this.invite.headers.via[0]?.params['branch'] ?? '');
  }

  ringing(): void {
    if (this.state === 'ringing') this.send(180, 'Ringing');
  }

  answer(localSdp: string): Promise<string | null> {
    if (this.state !== 'ringing') return Promise.reject(new AppError(ErrorCode.CALL_STATE, `cannot answer a call that is ${this.state}`));
    this.state = 'answered';
    const request = this.invite;
    this.dialog = new Dialog(this.stack, {
      callId: request.headers['call-id'],
      localUri: request.headers.to.uri,
      localTag: this.localTag,
      remoteUri: request.headers.from.uri,
      remoteTag: String(request.headers.from.params['tag'] ?? ''),
      remoteTarget: firstContact(request) ?? request.headers.from.uri,
      routeSet: [...(request.headers['record-route'] ?? [])], // UAS keeps Record-Route order (§12.1.1)
      localSeq: Math.floor(Math.random() * 10_000),
      contact: this.contactUri,
    });
    this.dialog.remoteSeq = request.headers.cseq.seq;
    this.registerDialog(this);
    const ok = makeResponseWithTag(request, 200, 'OK', this.localTag, {
      headers: {
        contact: [{ uri: this.contactUri, params: {} }],
        allow: ALLOW,
        'content-type': 'application/sdp',
        'record-route': request.headers['record-route'],
      },
      content: localSdp,
    });
    this.stack.send(ok);
    if (!this.reliable) {
      let interval = T1_MS;
      const again = () => {
        this.stack.send(ok);
        interval = Math.min(interval * 2, T2_MS);
        this.retransmit = setTimeout(again, interval);
      };
      this.retransmit = setTimeout(again, interval);
    }
    this.giveUp = setTimeout(() => this.noAck(), 64 * T1_MS);
    return new Promise((resolve, reject) => {
      this.acked = resolve;
      this.ackFailed = reject;
    });
  }

  reject(status: number, reason = reasonPhrase(status)): void {
    if (this.state !== 'ringing') return;
    this.state = 'ended';
    this.send(status, reason);
    this.end('rejected');
  }

  /** CANCEL for our INVITE (§9.2): 487 the INVITE unless we already answered. */
  cancel(): boolean {
    if (this.state !== 'ringing') return false;
    this.state = 'ended';
    this.send(487, 'Request Terminated');
    this.end('cancelled');
    return true;
  }

  async hangup(): Promise<void> {
    if (this.state === 'ringing') {
      this.reject(480, 'Temporarily Unavailable');
      return;
    }
    if (this.state === 'answered') {
      // §15: the callee may not send BYE before the ACK; wait for it (or its timeout).
      await new Promise<void>((resolve) => {
        const previous = this.acked;
        this.acked = (sdp) => {
          previous?.(sdp);
          resolve();
        };
        void this.ended.then(() => resolve());
      });
    }
    if (this.state === 'confirmed') {
      this.state = 'ended';
      this.stopRetransmit();
      await this.sendBye();
    }
  }

  protected override onAck(request: sip.SipRequest): void {
    if (this.state !== 'answered') return; // a retransmitted ACK
    this.state = 'confirmed';
    this.stopRetransmit();
    if (request.content) this.remoteSdp = request.content; // late offer: the ACK carries the answer
    this.acked?.(request.content || null);
  }

  /**
   * However the call ends (a BYE the dialog accepted, our hang-up, a timer), our side is over too.
   * Marking it on the BYE's arrival instead left a call whose BYE was refused (a stale CSeq, §12.2.2)
   * 'ended' here but never ended: a fuzzed BYE leaked calls that way.
   */
  protected override end(reason: CallEndReason): void {
    this.state = 'ended';
    this.stopRetransmit();
    super.end(reason);
  }

  private noAck(): void {
    if (this.state !== 'answered') return;
    this.log.warn('no ACK for our 200 OK within 64*T1; ending the call');
    this.stopRetransmit();
    this.state = 'ended';
    this.ackFailed?.(new AppError(ErrorCode.CALL_ENDED, 'no ACK received'));
    this.end('ack-timeout');
    void this.dialog?.request('BYE');
  }

  private stopRetransmit(): void {
    if (this.retransmit) clearTimeout(this.retransmit);
    if (this.giveUp) clearTimeout(this.giveUp);
    this.retransmit = null;
    this.giveUp = null;
  }

  private send(status: number, reason: string): void {
    this.stack.send(makeResponseWithTag(this.invite, status, reason, status === 100 ? null : this.localTag));
  }
}

function firstContact(request: sip.SipRequest): string | null {
  const contact = request.headers.contact;
  return contact && contact !== '*' && contact[0] ? contact[0].uri : null;
}
