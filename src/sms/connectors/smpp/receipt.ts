/**
 * Delivery receipts (SMPP 3.4 §5.2.12 esm_class, Appendix B receipt text,
 * §5.3.2.12/§5.3.2.35 TLVs). The TLVs win over the text when both are there.
 */
import { MessageStatus } from '../../message.js';
import type { ReceiptEvent } from '../connector.js';

/** esm_class bits 5–2: 0001 SMSC delivery receipt, 0010 SME delivery ack, 1000 intermediate notification. */
export function isReceiptEsmClass(esmClass: number): boolean {
  const type = esmClass & 0x3c;
  return type === 0x04 || type === 0x08 || type === 0x20;
}

export interface ReceiptText {
  id: string | null;
  sub: string | null;
  dlvrd: string | null;
  submitDate: number | null;
  doneDate: number | null;
  stat: string | null;
  err: string | null;
  text: string | null;
}

function field(text: string, name: string): string | null {
  const match = new RegExp(`(?:^|\\s)${name}\\s*:\\s*(\\S+)`, 'i').exec(text);
  return match ? match[1]! : null;
}

/** YYMMDDhhmm[ss] as UTC epoch ms (the receipt gives no zone; SMSCs mostly write UTC). */
export function parseReceiptDate(value: string | null): number | null {
  if (!value || !/^\d{10}(\d{2})?$/.test(value)) return null;
  const n = (i: number) => Number(value.slice(i, i + 2));
  const ms = Date.UTC(2000 + n(0), n(2) - 1, n(4), n(6), n(8), value.length === 12 ? n(10) : 0);
  return Number.isNaN(ms) ? null : ms;
}

export function parseReceiptText(text: string): ReceiptText {
  const textMatch = /(?:^|\s)text\s*:(.*)$/is.exec(text);
  return {
    id: field(text, 'id'),
    sub: field(text, 'sub'),
    dlvrd: field(text, 'dlvrd'),
    submitDate: parseReceiptDate(/submit\s+date\s*:\s*(\d+)/i.exec(text)?.[1] ?? null),
    doneDate: parseReceiptDate(/done\s+date\s*:\s*(\d+)/i.exec(text)?.[1] ?? null),
    stat: field(text, 'stat')?.toUpperCase() ?? null,
    err: field(text, 'err'),
    text: textMatch ? textMatch[1]!.trim() : null,
  };
}

/** message_state TLV values (§5.2.28) → receipt words. */
const STATE_WORDS: Record<number, string> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};

/** UNKNOWN is not final: the carrier may still learn the fate, so it counts as buffered. */
export function statusOfStat(stat: string): MessageStatus {
  switch (stat.toUpperCase()) {
    case 'DELIVRD':
      return MessageStatus.Delivered;
    case 'EXPIRED':
      return MessageStatus.Expired;
    case 'DELETED':
    case 'UNDELIV':
    case 'REJECTD':
      return MessageStatus.Failed;
    default:
      return MessageStatus.Buffered;
  }
}

export interface ReceiptPduFields {
  receiptedMessageId?: string | null;
  messageState?: number | null;
  text: string;
}

/** The receipt, or null when it carries no id at all (nothing to match). */
export function toReceiptEvent(connectorId: string, fields: ReceiptPduFields): ReceiptEvent | null {
  const parsed = parseReceiptText(fields.text);
  const carrierId = fields.receiptedMessageId || parsed.id;
  if (!carrierId) return null;
  const stat = (fields.messageState ? STATE_WORDS[fields.messageState] : undefined) ?? parsed.stat ?? 'UNKNOWN';
  return {
    connectorId,
    carrierId,
    status: statusOfStat(stat),
    stat,
    err: parsed.err,
    submitDate: parsed.submitDate,
    doneDate: parsed.doneDate,
    text: parsed.text,
  };
}
