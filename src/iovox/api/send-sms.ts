/**
 * IOVOX `sendSms` (IOVOX's SMS API v3 reference): the payload's nodes checked in the reference's order,
 * each failure answered with the reference's own string, then one `outbox.accept`.
 * Numbers arrive as E.164 digits without '+'; they are stored with the '+'
 * so every connector and the Ozeki side read them as international.
 */
import { iovoxMetaToStore } from '../message-meta.js';
import { isInternationalDigits } from '../../shared/phone-number.js';
import type { AcceptRequest } from '../../sms/outbox.js';
import { validateCallbackUrl } from '../../sms/validate.js';
import { IovoxApiError, type IovoxRequestNodes } from './xml.js';
import { parseCallbackHeaders } from '../callback-headers.js';

/** "Message must be less than 160 characters long": one GSM SMS; 160 itself is allowed (see decision 0061). */
export const IOVOX_MAX_MESSAGE_CHARS = 160;
/** Longest <expiry> accepted, in minutes (a week: longer than any carrier keeps a message). */
export const IOVOX_MAX_EXPIRY_MINUTES = 7 * 24 * 60;

export interface IovoxSendSmsContext {
  username: string;
  now: number;
  /** Configured c2c failover link ids. */
  failoverLinks: ReadonlySet<string>;
}

function text(nodes: IovoxRequestNodes, name: string): string | undefined {
  const value = nodes.get(name);
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : '[element]';
}

/** An origin: E.164 digits without + or 00, or up to 11 letters, digits, spaces and full stops. */
export function isValidIovoxOrigin(origin: string): boolean {
  if (/^[0-9]+$/.test(origin)) return /^[1-9][0-9]{0,14}$/.test(origin);
  return origin.length <= 11 && /^[A-Za-z0-9 .]+$/.test(origin) && /[A-Za-z]/.test(origin);
}

/** Digits become +digits when they are a full international number; short codes and names stay as they are. */
function storedAddress(value: string): string {
  return isInternationalDigits(value) ? `+${value}` : value;
}

export function iovoxSendSmsRequest(nodes: IovoxRequestNodes, ctx: IovoxSendSmsContext): AcceptRequest {
  const origin = text(nodes, 'origin');
  if (!origin) throw new IovoxApiError(400, 'Origin Empty');
  if (!isValidIovoxOrigin(origin)) throw new IovoxApiError(400, `Origin Invalid: ${origin}`);

  const destination = text(nodes, 'destination');
  if (!destination) throw new IovoxApiError(400, 'Destination Empty');
  if (!isInternationalDigits(destination)) throw new IovoxApiError(400, `Destination Invalid: ${destination}`);

  const message = text(nodes, 'message');
  if (!message) throw new IovoxApiError(400, 'Message Empty');
  // Characters as people count them (code points), not UTF-16 units: one emoji is one character.
  if ([...message].length > IOVOX_MAX_MESSAGE_CHARS) throw new IovoxApiError(400, 'Message must be less than 160 characters long');

  // The reference lists no errors for the optional nodes; ours follow its "<Node> Invalid: x" pattern.
  const callbackUrl = text(nodes, 'callback_url') || null;
  if (callbackUrl && validateCallbackUrl(callbackUrl)) throw new IovoxApiError(400, `Callback URL Invalid: ${callbackUrl}`);

  const headersText = text(nodes, 'callback_url_headers') || null;
  const callbackHeaders = headersText ? parseCallbackHeaders(headersText) : {};
  if (!callbackHeaders) throw new IovoxApiError(400, `Callback URL Headers Invalid: ${headersText}`);

  const expiryText = text(nodes, 'expiry') || null;
  let expiresAt: number | null = null;
  if (expiryText !== null) {
    const minutes = /^[0-9]{1,7}$/.test(expiryText) ? Number(expiryText) : NaN;
    if (!(minutes >= 1 && minutes <= IOVOX_MAX_EXPIRY_MINUTES)) throw new IovoxApiError(400, `Expiry Invalid: ${expiryText}`);
    expiresAt = ctx.now + minutes * 60_000;
  }

  const failoverLinkId = text(nodes, 'c2c_failover_link_id') || null;
  if (failoverLinkId !== null && !ctx.failoverLinks.has(failoverLinkId)) {
    throw new IovoxApiError(400, `C2C Failover Link ID Invalid: ${failoverLinkId}`);
  }

  const meta = iovoxMetaToStore({ callbackHeaders, ...(failoverLinkId !== null ? { failoverLinkId } : {}) });
  return {
    user: ctx.username,
    dialect: 'iovox',
    sender: storedAddress(origin),
    recipient: storedAddress(destination),
    text: message,
    callbackUrl,
    meta,
    expiresAt,
  };
}
