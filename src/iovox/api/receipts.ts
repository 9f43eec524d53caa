/**
 * IOVOX delivery receipts (IOVOX's SMS API v3 reference): a JSON POST to callback_url, with the
 * extra headers of callback_url_headers, on every status change: ACKNOWLEDGED
 * when the SMS centre took the message, BUFFERED, then DELIVERED, FAILED or
 * EXPIRED. delivery_status / status_reason are the raw receipt's words and
 * number in the vocabulary the reference's examples use ("smsc submit" 8,
 * "delivery success" 1: Kannel's DLR types). receipt_timestamp is Europe/London
 * wall-clock time.
 */
import { londonTimestamp } from '../london-time.js';
import { iovoxMetaOf } from '../message-meta.js';
import type { StoredMessage } from '../../sms/message.js';
import { MessageStatus } from '../../sms/message.js';
import type { CallbackOutbox } from '../../webhooks/index.js';

export type IovoxStatus = 'ACKNOWLEDGED' | 'BUFFERED' | 'DELIVERED' | 'FAILED' | 'EXPIRED';

export interface IovoxReceipt {
  sms_activity_id: string;
  delivery_status: string;
  status_reason: string;
  receipt_timestamp: string;
  status: IovoxStatus;
}

/** The raw-receipt word and number for each IOVOX status (Kannel DLR types 1, 2, 4, 8, 16). */
const RAW = {
  delivered: { word: 'delivery success', reason: '1' },
  deliveryFailure: { word: 'delivery failure', reason: '2' },
  buffered: { word: 'message buffered', reason: '4' },
  smscSubmit: { word: 'smsc submit', reason: '8' },
  smscReject: { word: 'smsc reject', reason: '16' },
} as const;

/** Our status → IOVOX's; null for `accepted`, which the 201 answer already told. */
export function iovoxStatus(message: Pick<StoredMessage, 'status' | 'submittedAt'>): { status: IovoxStatus; raw: { word: string; reason: string } } | null {
  switch (message.status) {
    case MessageStatus.Submitted:
      return { status: 'ACKNOWLEDGED', raw: RAW.smscSubmit };
    case MessageStatus.Buffered:
      return { status: 'BUFFERED', raw: RAW.buffered };
    case MessageStatus.Delivered:
      return { status: 'DELIVERED', raw: RAW.delivered };
    case MessageStatus.Failed:
      // Never taken by an SMS centre (refused at submit, no route): the centre rejected it; otherwise the handset was not reached.
      return { status: 'FAILED', raw: message.submittedAt === null ? RAW.smscReject : RAW.deliveryFailure };
    case MessageStatus.Expired:
      return { status: 'EXPIRED', raw: RAW.deliveryFailure };
    // Unknown (no report in time) has no IOVOX word: no receipt; a report that still comes sends DELIVERED or FAILED.
    default:
      return null;
  }
}

export function receiptFor(message: StoredMessage, status: IovoxStatus, raw: { word: string; reason: string }, at: number): IovoxReceipt {
  return {
    sms_activity_id: message.id,
    delivery_status: raw.word,
    status_reason: raw.reason,
    receipt_timestamp: londonTimestamp(at),
    status,
  };
}

const JSON_TYPE = 'application/json';

/**
 * Inside the status transaction: the receipt for this change. A message that
 * jumped from accepted straight to a later status in one transaction (its
 * receipt arrived with the submit answer) first gets the ACKNOWLEDGED it skipped,
 * so a client always sees the SMS centre's acceptance before the outcome.
 */
export async function enqueueIovoxReceipt(callbacks: CallbackOutbox, message: StoredMessage, previous?: MessageStatus): Promise<void> {
  if (!message.callbackUrl) return;
  const mapped = iovoxStatus(message);
  if (!mapped) return;
  const receipts: IovoxReceipt[] = [];
  if (previous === MessageStatus.Accepted && mapped.status !== 'ACKNOWLEDGED' && message.submittedAt !== null) {
    receipts.push(receiptFor(message, 'ACKNOWLEDGED', RAW.smscSubmit, message.submittedAt));
  }
  receipts.push(receiptFor(message, mapped.status, mapped.raw, message.updatedAt));
  const { contentType, headers } = callbackHeaders(message);
  for (const receipt of receipts) {
    await callbacks.insert(
      {
        orderKey: message.id,
        kind: 'IovoxDeliveryReceipt',
        url: message.callbackUrl,
        contentType,
        headers,
        body: JSON.stringify(receipt),
        owner: message.user,
      },
      Date.now(),
    );
  }
}

/** The client's extra headers; a Content-Type among them replaces ours (the reference's example sends one). */
function callbackHeaders(message: StoredMessage): { contentType: string; headers: Record<string, string> } {
  const stored = iovoxMetaOf(message).callbackHeaders ?? {};
  const headers: Record<string, string> = {};
  let contentType = JSON_TYPE;
  for (const [name, value] of Object.entries(stored)) {
    if (name.toLowerCase() === 'content-type') contentType = value;
    else headers[name] = value;
  }
  return { contentType, headers };
}
