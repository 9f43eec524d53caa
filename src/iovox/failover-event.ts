/**
 * SMS-to-voice failover (IOVOX c2c_failover_link_id, IOVOX's SMS API v3 reference): a message
 * that carries a failover link and ends FAILED or EXPIRED becomes a call to
 * its destination that reads the SMS out. The SMS core only notices and
 * hands the event on, inside the status transaction so it is never lost; the
 * voice runtime places the call through a handler it provides.
 *
 * The handler (iovox/failover-calls.ts) records the event in `sms_failovers`
 * and places the call from there.
 */
import type { StoredMessage } from '../sms/message.js';
import { MessageStatus } from '../sms/message.js';
import { iovoxMetaOf } from './message-meta.js';

export interface SmsFailoverEvent {
  messageId: string;
  /** The configured link (iovox.failoverLinks[].id) whose call flow runs. */
  linkId: string;
  /** `$sms_origin` in the call flow. */
  origin: string;
  /** Who is called. */
  destination: string;
  /** `$content` in the call flow. */
  content: string;
  smsStatus: 'failed' | 'expired';
  at: number;
}

export interface SmsFailoverHandler {
  /** Runs inside the status transaction: database work only (it may run twice; be idempotent). */
  record(event: SmsFailoverEvent): Promise<void>;
  /** After the commit: start work (place the call). */
  afterCommit?(): void;
}

/** The failover event a status change causes, if any. */
export function failoverEventFor(message: StoredMessage): SmsFailoverEvent | null {
  const linkId = iovoxMetaOf(message).failoverLinkId;
  if (linkId === undefined) return null;
  if (message.status !== MessageStatus.Failed && message.status !== MessageStatus.Expired) return null;
  return {
    messageId: message.id,
    linkId,
    origin: message.sender,
    destination: message.recipient,
    content: message.text,
    smsStatus: message.status,
    at: message.doneAt ?? message.updatedAt,
  };
}
