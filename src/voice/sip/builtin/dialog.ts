/**
 * A confirmed or early SIP dialog (RFC 3261 §12): its identifiers, route
 * set and remote target, and the requests we send inside it with their own
 * CSeq. Both sides of a call use it: a UAS dialog from an INVITE we got, a
 * UAC dialog from a 2xx to an INVITE we sent.
 */
import { randomBytes } from 'node:crypto';
import * as sip from 'sip';
import { AppError, ErrorCode } from '../../../shared/errors.js';

export function newTag(): string {
  return randomBytes(6).toString('hex');
}

export interface DialogIdentity {
  callId: string;
  localUri: string;
  localTag: string;
  remoteUri: string;
  remoteTag: string;
  remoteTarget: string;
  routeSet: sip.NameAddr[];
  localSeq: number;
  /** Our Contact URI for this dialog. */
  contact: string;
}

export class Dialog {
  private localSeq: number;
  remoteTarget: string;
  /** Highest CSeq seen from the far end: a lower one is a stale retransmission (§12.2.2). */
  remoteSeq = 0;

  constructor(
    private readonly stack: sip.Stack,
    readonly id: DialogIdentity,
  ) {
    this.localSeq = id.localSeq;
    this.remoteTarget = id.remoteTarget;
  }

  static key(callId: string, localTag: string): string {
    return `${callId}\u0000${localTag}`;
  }

  get key(): string {
    return Dialog.key(this.id.callId, this.id.localTag);
  }

  /** Build a request inside the dialog (§12.2.1.1). */
  makeRequest(method: string, extra: { headers?: Record<string, unknown>; content?: string; seq?: number } = {}): sip.SipRequest {
    const seq = extra.seq ?? ++this.localSeq;
    return {
      method,
      uri: this.remoteTarget,
      version: '2.0',
      headers: {
        via: [],
        to: { uri: this.id.remoteUri, params: { tag: this.id.remoteTag } },
        from: { uri: this.id.localUri, params: { tag: this.id.localTag } },
        'call-id': this.id.callId,
        cseq: { seq, method },
        contact: [{ uri: this.id.contact, params: {} }],
        route: this.id.routeSet.map((r) => ({ ...r, params: { ...r.params } })),
        'max-forwards': '70',
        ...extra.headers,
      } as sip.SipHeaders,
      content: extra.content ?? '',
    };
  }

  /** Send a request inside the dialog; resolves with the final response (the stack answers 408/503 itself on timeout). */
  request(method: string, extra: { headers?: Record<string, unknown>; content?: string } = {}): Promise<sip.SipResponse> {
    const request = this.makeRequest(method, extra);
    return new Promise((resolve) => {
      this.stack.send(request, (response) => {
        if (response.status >= 200) resolve(response);
      });
    });
  }

  /** Like `request`, but a non-2xx final answer is an error. */
  async requestOk(method: string, extra: { headers?: Record<string, unknown>; content?: string } = {}): Promise<sip.SipResponse> {
    const response = await this.request(method, extra);
    if (response.status >= 300) {
      throw new AppError(ErrorCode.SIP_REQUEST_FAILED, `${method} answered ${response.status} ${response.reason}`, { protocolStatus: response.status });
    }
    return response;
  }

  /** A response to a request the far end sent in this dialog. */
  respond(request: sip.SipRequest, status: number, reason: string, extra: { headers?: Record<string, unknown>; content?: string } = {}): void {
    this.stack.send(makeResponseWithTag(request, status, reason, this.id.localTag, extra));
  }
}

/** makeResponse shares header objects with the request; copy To before adding our tag. */
export function makeResponseWithTag(
  request: sip.SipRequest,
  status: number,
  reason: string,
  localTag: string | null,
  extra: { headers?: Record<string, unknown>; content?: string } = {},
): sip.SipResponse {
  const response = sip.makeResponse(
    request,
    status,
    reason,
    extra.content === undefined ? { headers: extra.headers } : { headers: extra.headers, content: extra.content },
  );
  const to = request.headers.to;
  response.headers.to = { ...to, params: { ...to.params, ...(localTag && !to.params['tag'] ? { tag: localTag } : {}) } };
  return response;
}

/** A Refer-To/target: full SIP URI as given, or a bare number/user placed at the dialog's remote host. */
export function targetUri(target: string, remoteUri: string): string {
  if (/^sips?:/i.test(target)) return target;
  const host = sip.parseUri(remoteUri)?.host;
  if (!host) throw new AppError(ErrorCode.SIP_REQUEST_FAILED, `cannot place ${target} at the far end's host: ${remoteUri} has none`);
  return `sip:${target}@${host}`;
}
