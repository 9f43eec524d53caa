/**
 * The one message model and its status state machine, shared by every API
 * dialect and every connector. Dialects only translate these words.
 *
 *                 submit_sm_resp OK         intermediate receipt
 *   accepted ───────────────────► submitted ───────────────────► buffered
 *      │                              │                              │
 *      │ permanent error /            │ final receipt                │ final receipt
 *      │ max age                      ▼                              ▼
 *      └──────────────────► delivered | failed | expired  ◄──────────┘
 *                                     ▲
 *        no report within the         │ a late report
 *        connector's reportTimeout ──► unknown
 *
 * A status never moves backwards: a late ENROUTE after DELIVRD is ignored,
 * and a final status is terminal, but for `unknown`: it is final (the client
 * is told, nothing is retried) and a report that still comes corrects it.
 * The rank below is what "backwards" means.
 */
import { AppError, ErrorCode } from '../shared/errors.js';
import { jsonLines, parseJsonLines } from '../shared/json-lines.js';

export const MessageStatus = {
  Accepted: 'accepted',
  Submitted: 'submitted',
  Buffered: 'buffered',
  Delivered: 'delivered',
  Failed: 'failed',
  Expired: 'expired',
  /** Sent, but no delivery report came within the connector's reportTimeout (a late one corrects it). */
  Unknown: 'unknown',
} as const;
export type MessageStatus = (typeof MessageStatus)[keyof typeof MessageStatus];

export const FINAL_STATUSES: ReadonlySet<MessageStatus> = new Set([
  MessageStatus.Delivered,
  MessageStatus.Failed,
  MessageStatus.Expired,
  MessageStatus.Unknown,
]);

const RANK: Record<MessageStatus, number> = {
  accepted: 0,
  submitted: 1,
  buffered: 2,
  delivered: 3,
  failed: 3,
  expired: 3,
  unknown: 3,
};

export function statusRank(status: MessageStatus): number {
  return RANK[status];
}

export function isFinal(status: MessageStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/** True when moving from `from` to `to` is a real step forward. */
export function canTransition(from: MessageStatus, to: MessageStatus): boolean {
  if (from === MessageStatus.Unknown) return to === MessageStatus.Delivered || to === MessageStatus.Failed || to === MessageStatus.Expired;
  if (isFinal(from)) return false;
  return RANK[to] > RANK[from];
}

/**
 * The one guarded move. Returns the new status, or throws when the move would
 * go backwards or leave a final state. Callers that must tolerate late or
 * duplicate receipts use `canTransition` first and ignore the stale event.
 */
export function transition(from: MessageStatus, to: MessageStatus): MessageStatus {
  if (!canTransition(from, to)) {
    throw new AppError(ErrorCode.MESSAGE_ILLEGAL_TRANSITION, `illegal status move ${from} -> ${to}`, {
      details: { from, to },
    });
  }
  return to;
}

/**
 * The message's status from its parts' statuses (SMPP 3.4 receipts come per
 * part): failed as soon as any part fails, expired when any part expired and
 * none failed, delivered only when every part is, otherwise the least advanced
 * part decides.
 */
export function rollUp(partStatuses: readonly MessageStatus[]): MessageStatus {
  if (partStatuses.length === 0) return MessageStatus.Accepted;
  if (partStatuses.includes(MessageStatus.Failed)) return MessageStatus.Failed;
  if (partStatuses.includes(MessageStatus.Expired)) return MessageStatus.Expired;
  if (partStatuses.every((s) => s === MessageStatus.Delivered)) return MessageStatus.Delivered;
  let least: MessageStatus = MessageStatus.Buffered;
  for (const s of partStatuses) {
    const effective = s === MessageStatus.Delivered ? MessageStatus.Buffered : s;
    if (RANK[effective] < RANK[least]) least = effective;
  }
  return least;
}

/** What the outbox keeps for every outbound (MT) message. */
export interface OutboundMessage {
  id: string;
  /** API user who sent it (for history and quotas). */
  user: string;
  /** Dialect that accepted it: 'ozeki', 'iovox', … decides the callback format. */
  dialect: string;
  sender: string;
  recipient: string;
  text: string;
  status: MessageStatus;
  /** Estimated number of parts at acceptance (the connector's plan is authoritative). */
  partsEstimate: number;
  encoding: 'gsm7' | 'ucs2';
  /** Where the delivery report callback goes (empty: none). */
  callbackUrl: string | null;
  /** Dialect-specific fields the callback formatter needs (headers, expiry …). */
  meta: Record<string, unknown>;
  connectorId: string | null;
  attempts: number;
  errorCode: string | null;
  errorText: string | null;
  /** The carrier's own status words (SMPP command_status or receipt stat/err). */
  carrierStatus: string | null;
  carrierError: string | null;
  createdAt: number;
  updatedAt: number;
  submittedAt: number | null;
  doneAt: number | null;
  /** Epoch ms after which an undelivered message expires (null: connector default). */
  expiresAt: number | null;
  /** A part may have gone out twice: sent, no reference came back, sent again (absent: false). */
  possibleDuplicate?: boolean;
}

/** An outbound message as the outbox stores it: with its concatenation reference and its next attempt. */
export interface StoredMessage extends OutboundMessage {
  concatRef: number;
  nextAttemptAt: number;
  /** The time the client asked it to go at (scheduled sending, decision 0144); null or absent: at once. */
  sendAt?: number | null;
  /** The node that works on it while unfinished (PostgreSQL clusters); null or absent on a single node. */
  claimedBy?: string | null;
  /**
   * The row's version as read: every status write raises it. The status writer writes a message it already holds
   * only if the row is still at this version (absent: it reads the row first). Decision 0111.
   */
  version?: number;
}

export interface MessagePart {
  messageId: string;
  partNo: number;
  partsTotal: number;
  connectorId: string;
  carrierId: string | null;
  status: MessageStatus;
  carrierStatus: string | null;
  carrierError: string | null;
  submittedAt: number | null;
  doneAt: number | null;
}

/**
 * One line of a message's history, kept with the message (the console's message page shows them in order):
 * a part's status as the carrier's answer or receipt gave it, the message's own status step, a retry, or a
 * client's replacement.
 */
export type MessageEvent =
  | { at: number; kind: 'part'; part: number; status: MessageStatus; carrierId?: string; carrierStatus?: string; carrierError?: string }
  | { at: number; kind: 'status'; status: MessageStatus; errorCode?: string; errorText?: string }
  | { at: number; kind: 'retry'; attempt: number; nextAttemptAt: number; errorCode?: string; errorText?: string }
  /** The client changed it while it waited (SMPP replace_sm): its text, and its send time if it has one. */
  | { at: number; kind: 'replaced'; sendAt?: number };

/** Events as the store appends them: one JSON object per line (appending needs no read of what is there). */
export function encodeEvents(events: readonly MessageEvent[]): string {
  return jsonLines(events);
}

export function decodeEvents(text: string): MessageEvent[] {
  return parseJsonLines<MessageEvent>(text);
}
