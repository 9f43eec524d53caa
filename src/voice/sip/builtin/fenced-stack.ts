/**
 * A fence around the `sip` package's stack (decision 0100). Whatever a peer
 * put into a message can end up in what we send later: a Contact becomes the
 * target of our BYE, a Record-Route our route set. The package trusts these:
 * an unparseable target makes `send` throw (often from a timer of ours, where
 * nothing catches it), and a throw in a response callback escapes through the
 * package's own timers. Behind this fence no send throws and no callback
 * escapes: a request that cannot be routed is answered locally with 503, as
 * the package itself does for a target it cannot resolve.
 */
import * as sip from 'sip';
import type { Logger } from '../../../shared/log.js';

type OutgoingRequest = Partial<sip.SipRequest> & { method: string; uri: string; headers: Partial<sip.SipHeaders> };

export function fenceStack(stack: sip.Stack, log: Logger): sip.Stack {
  const send = (message: OutgoingRequest | sip.SipResponse, onResponse?: (response: sip.SipResponse) => void): void => {
    if (isResponse(message)) {
      try {
        stack.send(message);
      } catch (err) {
        log.warn({ err, status: message.status }, 'SIP response could not be sent');
      }
      return;
    }
    const request = message;
    const fenced = onResponse ? fenceCallback(onResponse, log, request.method) : undefined;
    const unroutable = unroutableReason(request);
    if (unroutable) {
      log.warn({ method: request.method, reason: unroutable }, 'SIP request not sent: its target came from a peer and cannot be routed');
      answerLocally(request, fenced);
      return;
    }
    try {
      stack.send(request, fenced);
    } catch (err) {
      log.warn({ err, method: request.method }, 'SIP request could not be sent');
      answerLocally(request, fenced);
    }
  };
  const sendStateless = (response: sip.SipResponse): void => {
    try {
      stack.sendStateless(response);
    } catch (err) {
      log.warn({ err, status: response.status }, 'SIP response could not be sent');
    }
  };
  return { send: send as sip.Stack['send'], sendStateless, destroy: () => stack.destroy(), hostname: () => stack.hostname() };
}

function isResponse(message: OutgoingRequest | sip.SipResponse): message is sip.SipResponse {
  return typeof (message as Partial<OutgoingRequest>).method !== 'string';
}

function fenceCallback(onResponse: (response: sip.SipResponse) => void, log: Logger, method: string): (response: sip.SipResponse) => void {
  return (response) => {
    try {
      onResponse(response);
    } catch (err) {
      log.error({ err, method, status: response?.status }, 'SIP response handler failed');
    }
  };
}

/** The package's own answer to a target it cannot reach (sequentialSearch answers 503), delivered asynchronously like a real one. */
function answerLocally(request: OutgoingRequest, onResponse: ((response: sip.SipResponse) => void) | undefined): void {
  if (!onResponse || request.method === 'ACK') return;
  const response: sip.SipResponse = {
    status: 503,
    reason: 'Service Unavailable',
    version: '2.0',
    headers: { ...(request.headers as sip.SipHeaders), via: request.headers.via ?? [] },
    content: '',
  };
  setImmediate(() => onResponse(response));
}

/** Why the package could not route this request (RFC 3261 §8.1.2: the Request-URI, or the first Route), or null. */
export function unroutableReason(request: OutgoingRequest): string | null {
  if (!isRoutableUri(request.uri)) return 'the Request-URI is not a SIP URI with a host';
  const routes = request.headers.route;
  if (routes !== undefined && !Array.isArray(routes)) return 'the Route set is not a list';
  for (const route of routes ?? []) {
    if (!route || !isRoutableUri(route.uri)) return 'a Route is not a SIP URI with a host';
  }
  return null;
}

export function isRoutableUri(uri: unknown): boolean {
  if (typeof uri !== 'string' && (typeof uri !== 'object' || uri === null)) return false;
  const parsed = sip.parseUri(uri as string);
  return (
    parsed !== undefined &&
    typeof parsed.host === 'string' &&
    parsed.host.length > 0 &&
    (parsed.port === undefined || Number.isNaN(parsed.port) || (parsed.port > 0 && parsed.port < 65536))
  );
}
