/**
 * The line as the rest of telenode sees it, whatever SIP engine is below:
 * incoming calls to ring, answer or reject; outbound calls; hang-up,
 * transfer and the in-dialog events (re-INVITE, INFO digits) of a call.
 * The built-in engine (npm `sip`) and the drachtio engine (drachtio-srf)
 * both implement it, and one shared scenario suite runs against both.
 */
export type CallEndReason =
  /** The far end sent BYE. */
  | 'remote-hangup'
  /** We sent BYE. */
  | 'local-hangup'
  /** The caller cancelled before we answered. */
  | 'cancelled'
  /** We answered and no ACK came (RFC 3261 §13.3.1.4). */
  | 'ack-timeout'
  /** We rejected it, or the far end rejected our INVITE. */
  | 'rejected'
  /** Transport or engine failure. */
  | 'failed';

export interface CallParty {
  /** The SIP URI as it came (From/To). */
  uri: string;
  /** The user part: the number or extension. */
  user: string;
  displayName: string | null;
}

export interface CallInfo {
  /** Our id for the call (stable across engines, used in logs and the API). */
  id: string;
  /** The SIP Call-ID. */
  sipCallId: string;
  direction: 'inbound' | 'outbound';
  from: CallParty;
  to: CallParty;
  /** Where the signalling came from: "udp:127.0.0.1:5062". */
  source: string;
  /** Extra headers of the initial INVITE the app may want (X-… headers, Diversion). */
  headers: Record<string, string>;
}

/** A dialog as RFC 3891's Replaces names it: Call-ID and both tags as its own UA sees them, and the far end's target. */
export interface DialogIds {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** The far end's Contact (its remote target, RFC 3261 §12.1): where a REFER should send the transferee. */
  remoteTarget: string;
}

/**
 * The Refer-To of an attended transfer (RFC 5589 §7.1): the transfer target's URI carrying a Replaces header
 * (RFC 3891 §3) that names our dialog with it. to-tag is the target's tag, from-tag ours: the dialog as the
 * target sees it, so the target's UA finds the call to replace.
 */
export function replacesReferTo(target: DialogIds): string {
  const replaces = `${target.callId};to-tag=${target.remoteTag};from-tag=${target.localTag}`;
  const uri = target.remoteTarget.replace(/^<|>$/g, '');
  return `${uri}${uri.includes('?') ? '&' : '?'}Replaces=${encodeURIComponent(replaces)}`;
}

export interface SipCall {
  readonly info: CallInfo;
  /** The established dialog's ids (for another call's attended transfer); null before it exists. */
  readonly dialogIds: DialogIds | null;
  /** The far end's SDP of the latest offer/answer; null for a late-offer INVITE until the ACK. */
  readonly remoteSdp: string | null;
  /** Resolves once the dialog is over, with why. */
  readonly ended: Promise<CallEndReason>;
  readonly isEnded: boolean;
  /**
   * Answers a re-INVITE (hold, unhold, media move): gets the new offer,
   * returns our answer SDP; throwing answers 488.
   */
  onModify: ((remoteSdp: string) => string) | null;
  /** SIP INFO digits (application/dtmf-relay, application/dtmf). */
  onInfoDigit: ((digit: string) => void) | null;
  /** Send BYE (or CANCEL/reject when not yet established); resolves when the dialog is over. */
  hangup(): Promise<void>;
  /** Blind transfer: REFER to `target` (a SIP URI or a number at the caller's domain); resolves on 2xx. */
  transfer(target: string): Promise<void>;
  /**
   * Attended transfer (RFC 5589 §7): REFER this call's far end to the far end of `other` (another call of ours),
   * with Replaces naming that dialog (RFC 3891), so the two far ends talk to each other. Resolves once the REFER is
   * accepted; this leg then hangs up, and the target ends the replaced dialog with its own BYE.
   */
  transferReplacing(other: DialogIds): Promise<void>;
  /**
   * Our own re-INVITE (RFC 3261 §14.1) with a new offer (hold: a=sendonly, unhold: a=sendrecv, RFC 3264 §8.4);
   * resolves with the far end's answer SDP, rejects with SIP_REQUEST_FAILED (protocolStatus) on a non-2xx.
   */
  reinvite(localSdp: string): Promise<string>;
}

export interface IncomingCall extends SipCall {
  /** 180 Ringing. */
  ringing(): void;
  /**
   * 200 OK with our SDP; resolves when the ACK arrives, with the SDP the ACK
   * carried (the answer to our offer when the INVITE had none).
   */
  answer(localSdp: string): Promise<string | null>;
  /** A final non-2xx answer. */
  reject(status: number, reason?: string): void;
}

export interface DialRequest {
  /** sip:user@host[:port][;transport=tcp] */
  target: string;
  /** The caller id we present (user part of From). */
  callerId: string;
  localSdp: string;
  /** Give up ringing after this long (CANCEL). */
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Credentials for a trunk that challenges the INVITE. */
  auth?: { username: string; password: string };
}

export interface EngineStatus {
  engine: 'builtin' | 'drachtio';
  up: boolean;
  listen: string[];
  registrations: { aor: string; registered: boolean; lastError: string | null; expiresAt: number | null }[];
  activeDialogs: number;
}

export interface CallControl {
  readonly engine: 'builtin' | 'drachtio';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Every new inbound call goes to this handler, which must ring, answer or reject it. */
  /**
   * Who runs a new call. `admit`, asked before anything is sent for the INVITE (not even 100 Trying), refuses it
   * with 503 when it returns false (voice.maxCalls), so the refusal costs the engine no call and no transaction.
   */
  onIncomingCall(handler: (call: IncomingCall) => void, admit?: (sourceAddress: string) => boolean): void;
  /** Place a call; resolves when answered, rejects with CALL_FAILED (protocolStatus = SIP status). */
  dial(request: DialRequest): Promise<SipCall>;
  status(): EngineStatus;
}

/** The user part of a SIP URI ("sip:+3612345@pbx" → "+3612345"); the URI itself when it has none. */
export function userOf(uri: string): string {
  const match = /^(?:sips?|tel):([^@;?>]+)@?/i.exec(uri.trim());
  return match ? decodeURIComponent(match[1]!) : uri;
}
