/**
 * SMS-to-voice failover (IOVOX c2c_failover_link_id, seed 001): a message
 * that carries a failover link and ends FAILED or EXPIRED becomes a call to
 * its destination that reads the SMS out. The SMS core only notices and
 * hands the event on, inside the status transaction so it is never lost; the
 * voice runtime places the call through a handler it provides.
 *
 * The default handler records the event as `pending` in `sms_failovers` and
 * logs it: the call itself is not placed yet (README, "SMS-to-voice failover").
 */
import type { Db } from '../store/db.js';
import type { StoredMessage } from '../store/message-repo.js';
import type { SmsFailoverRepo } from '../store/sms-failover-repo.js';
import type { Logger } from '../shared/log.js';
import { MessageStatus } from './message.js';

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
  record(db: Db, event: SmsFailoverEvent): void;
  /** After the commit: start work (place the call). */
  afterCommit?(): void;
}

/** The failover event a status change causes, if any. */
export function failoverEventFor(message: StoredMessage): SmsFailoverEvent | null {
  const linkId = message.meta['failoverLinkId'];
  if (typeof linkId !== 'string') return null;
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

/** Until the voice runtime plugs in: keep the call to make as `pending`, and say so. */
export class PendingFailoverRecorder implements SmsFailoverHandler {
  constructor(
    private readonly repo: SmsFailoverRepo,
    private readonly log: Logger,
  ) {}

  record(_db: Db, event: SmsFailoverEvent): void {
    if (this.repo.insertPending(event, event.at)) {
      this.log.info({ messageId: event.messageId, linkId: event.linkId, smsStatus: event.smsStatus }, 'SMS failed: failover call recorded as pending (voice runtime not connected)');
    }
  }
}
