/**
 * Ozeki-style notifications: POST application/x-www-form-urlencoded with
 * `NotificationName` first (ozeki-ozml.md §1.1, §4, §5). The target URL is
 * requested verbatim, so a query string in DeliveryReportURL reaches the app.
 * The fields are documented in docs/messages.md ("Callbacks").
 */
import type { StoredMessage } from '../../sms/message.js';
import type { InboundMessage } from '../../store/inbound-repo.js';
import { MessageStatus, isFinal } from '../../sms/message.js';
import type { CallbackOutbox } from '../../webhooks/index.js';
import { formComponent, formUrlEncoded } from '../../shared/form-urlencoded.js';
import { isoTime } from '../../shared/iso-time.js';

/** Ozeki's SMS status vocabulary (sent/notsent/delivered/undelivered) plus expired and unknown. */
export function ozekiStatusWord(message: Pick<StoredMessage, 'status' | 'errorCode'>): string {
  switch (message.status) {
    case MessageStatus.Delivered:
      return 'delivered';
    case MessageStatus.Expired:
      return 'expired';
    case MessageStatus.Unknown:
      // No report came within the connector's reportTimeoutMinutes; a report that still comes sends another callback.
      return 'unknown';
    case MessageStatus.Failed:
      // An errorCode means we or the carrier refused it before it went out; a receipt failure has none.
      return message.errorCode ? 'notsent' : 'undelivered';
    case MessageStatus.Submitted:
    case MessageStatus.Buffered:
      return 'sent';
    default:
      return 'accepted';
  }
}

function iso(ms: number | null): string {
  return ms === null ? '' : isoTime(ms);
}

/**
 * The SMSDeliveryReport form, field by field. Written out rather than as name/value pairs for formUrlEncoded: it is
 * built once a message on the main thread, and without the 16 pairs (and with `formComponent` escaping a stretch at a
 * time) it leaves about a third of the garbage it did (bench/RESULTS.md, "Issue 18, session 33"). The names, the
 * status words and the numbers need no escaping; every other value goes through `formComponent`.
 */
export function deliveryReportForm(message: StoredMessage): string {
  let body =
    'NotificationName=SMSDeliveryReport' +
    `&SmsId=${formComponent(message.id)}` +
    `&Sender=${formComponent(message.sender)}` +
    `&Recipient=${formComponent(message.recipient)}` +
    `&Status=${ozekiStatusWord(message)}` +
    `&DeliveryStatus=${formComponent(message.status)}` +
    `&Delivered=${message.status === MessageStatus.Delivered}` +
    `&CarrierStatus=${formComponent(message.carrierStatus ?? '')}` +
    `&CarrierError=${formComponent(message.carrierError ?? '')}` +
    `&ErrorCode=${formComponent(message.errorCode ?? '')}` +
    `&ErrorText=${formComponent(message.errorText ?? '')}` +
    `&Parts=${message.partsEstimate}` +
    `&Connector=${formComponent(message.connectorId ?? '')}` +
    `&AcceptedAt=${formComponent(iso(message.createdAt))}` +
    `&SubmittedAt=${formComponent(iso(message.submittedAt))}` +
    `&DoneAt=${formComponent(iso(message.doneAt))}`;
  // Only when it applies: a part went out, no reference came back, and it was sent again.
  if (message.possibleDuplicate) body += '&PossibleDuplicate=true';
  return body;
}

export function incomingSmsForm(message: InboundMessage): string {
  return formUrlEncoded([
    ['NotificationName', 'IncomingSMS'],
    ['SmsId', message.id],
    ['Sender', message.sender],
    ['Recipient', message.recipient],
    ['Message', message.text],
    ['ReceivedAt', iso(message.receivedAt)],
    ['Parts', String(message.partsTotal)],
    ['Complete', String(message.complete)],
    ['Connector', message.connectorId],
  ]);
}

const FORM = 'application/x-www-form-urlencoded';

/** SMSDeliveryReport once the message's fate is known, if it has a DeliveryReportURL. */
export async function enqueueOzekiDeliveryReport(callbacks: CallbackOutbox, message: StoredMessage): Promise<void> {
  if (!message.callbackUrl || !isFinal(message.status)) return;
  await callbacks.insert(
    { orderKey: message.id, kind: 'SMSDeliveryReport', url: message.callbackUrl, contentType: FORM, body: deliveryReportForm(message), owner: message.user },
    Date.now(),
  );
}

export async function enqueueIncomingSms(callbacks: CallbackOutbox, url: string | null, message: InboundMessage): Promise<void> {
  if (!url) return;
  await callbacks.insert({ orderKey: `inbound:${message.recipient}`, kind: 'IncomingSMS', url, contentType: FORM, body: incomingSmsForm(message) }, Date.now());
}
