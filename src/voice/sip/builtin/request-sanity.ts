/**
 * Sanity checks on every request the `sip` package hands us, before any of
 * its values reach a dialog, a call or a log line (in the spirit of
 * Kamailio's `sanity` module). The package parses leniently and leaves a
 * header it could not parse undefined or half-filled; RFC 3261 §8.2 says
 * what a UAS must refuse, and with which status:
 *
 * - §8.2.2.1: a Request-URI scheme we do not serve → 416.
 * - §8.1.1 / §20: To, From, Call-ID, CSeq and Via are mandatory, CSeq's
 *   method equals the request's, its number is a 32-bit unsigned integer
 *   below 2^31 (§8.1.1.5) → 400.
 * - §8.1.1.8: a request that can create a dialog (INVITE) carries exactly
 *   one Contact with a SIP URI; a target refresh's Contact must be one too → 400.
 * - §16.3 / §8.2.2: Max-Forwards is a number; 0 on a request we would act on → 483.
 *
 * The verdict says what to answer; `null` means the request may go on.
 */
import type * as sip from 'sip';
import { isRoutableUri } from './fenced-stack.js';

export interface SanityVerdict {
  status: 400 | 416 | 483;
  reason: string;
}

/** Longest Call-ID we keep (real ones are < 100 octets; a larger one is a probe or a mistake). */
const MAX_CALL_ID = 256;
const DIALOG_CREATING = new Set(['INVITE']);

export function checkRequest(request: sip.SipRequest): SanityVerdict | null {
  const headers = request.headers;
  if (typeof request.uri !== 'string' || !/^sips?:/i.test(request.uri)) return { status: 416, reason: 'Unsupported URI Scheme' };
  if (!isRoutableUri(request.uri)) return bad('Request-URI');
  if (!isNameAddr(headers.from)) return bad('From');
  if (!isNameAddr(headers.to)) return bad('To');
  const callId = headers['call-id'];
  if (typeof callId !== 'string' || callId.length === 0 || callId.length > MAX_CALL_ID) return bad('Call-ID');
  const cseq = headers.cseq;
  if (!cseq || !Number.isInteger(cseq.seq) || cseq.seq < 0 || cseq.seq >= 2 ** 31 || cseq.method !== request.method) return bad('CSeq');
  const via = headers.via[0];
  if (!via || typeof via.host !== 'string' || via.host.length === 0) return bad('Via');
  const maxForwards = headers['max-forwards'];
  if (maxForwards !== undefined) {
    if (typeof maxForwards !== 'string' || !/^\s*\d{1,3}\s*$/.test(maxForwards)) return bad('Max-Forwards');
    if (Number(maxForwards) === 0 && request.method !== 'ACK' && request.method !== 'OPTIONS') return { status: 483, reason: 'Too Many Hops' };
  }
  const contact = headers.contact;
  const hasToTag = Boolean(headers.to.params?.['tag']);
  if (DIALOG_CREATING.has(request.method) && !hasToTag) {
    if (!Array.isArray(contact) || contact.length !== 1 || !isNameAddr(contact[0]) || !isRoutableUri(contact[0].uri)) return bad('Contact');
  } else if (contact !== undefined && contact !== '*') {
    if (!Array.isArray(contact) || !contact.every((c) => isNameAddr(c) && isRoutableUri(c.uri))) return bad('Contact');
  }
  for (const name of ['record-route', 'route'] as const) {
    const set = headers[name];
    if (set !== undefined && (!Array.isArray(set) || !set.every((r) => isNameAddr(r) && isRoutableUri(r.uri))))
      return bad(name === 'route' ? 'Route' : 'Record-Route');
  }
  if (request.method === 'REFER' && headers['refer-to'] !== undefined && !isNameAddr(headers['refer-to'])) return bad('Refer-To');
  return null;
}

function bad(header: string): SanityVerdict {
  return { status: 400, reason: `Bad ${header}` };
}

function isNameAddr(value: unknown): value is sip.NameAddr {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<sip.NameAddr>;
  return typeof v.uri === 'string' && v.uri.length > 0 && /^(sips?|tel):/i.test(v.uri) && typeof v.params === 'object' && v.params !== null;
}
