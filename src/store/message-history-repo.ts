/**
 * A user's SMS history across both directions, whatever dialect accepted the
 * message: outbound rows are the user's own (`messages.user`), inbound rows
 * are those addressed to a number the user owns. Every entry carries the
 * numeric `seq` of migration 2, the order of the history and the id of
 * dialects whose ids are numbers. Dialects render entries in their own words.
 */
import type { SqlExecutor } from './sql.js';
import type { MessageStatus } from '../sms/message.js';

export type HistoryDirection = 'in' | 'out';

export interface HistoryEntry {
  seq: number;
  direction: HistoryDirection;
  /** The message's own id (UUID) in `messages` or `inbound_messages`. */
  id: string;
  /** Dialect that accepted an outbound message; null for inbound. */
  dialect: string | null;
  sender: string;
  recipient: string;
  text: string;
  /** Outbound status; null for inbound (received is final). */
  status: MessageStatus | null;
  parts: number;
  errorCode: string | null;
  errorText: string | null;
  /** Outbound: when a carrier first took a part (null: it never reached the network); null for inbound. */
  submittedAt: number | null;
  /** Accepted (outbound) or received (inbound), epoch ms. */
  at: number;
  meta: Record<string, unknown>;
}

export interface HistoryQuery {
  user: string;
  /** Numbers the user owns: inbound messages to these are theirs. Empty: no inbound rows. */
  ownNumbers: readonly string[];
  direction?: HistoryDirection;
  /** Matched with and without '+' / '00', as carriers write numbers either way. */
  sender?: string;
  recipient?: string;
  fromMs?: number;
  toMs?: number;
  /** Outbound only: these statuses (an empty list matches nothing). */
  statuses?: readonly MessageStatus[];
  /** Outbound only: true keeps messages that never reached the network (refused by us or the carrier at submission), false the others. */
  refused?: boolean;
  /** Only entries with a larger seq (incremental fetch). */
  afterSeq?: number;
  newestFirst?: boolean;
  limit: number;
  offset: number;
}

interface HistoryRow {
  seq: number;
  direction: HistoryDirection;
  id: string;
  dialect: string | null;
  sender: string;
  recipient: string;
  text: string;
  status: MessageStatus | null;
  parts: number;
  error_code: string | null;
  error_text: string | null;
  submitted_at: number | null;
  at: number;
  meta: string;
}

/** '447443332211', '+447443332211' and '00447443332211' are one number; other forms match as given. */
export function numberVariants(value: string): string[] {
  const trimmed = value.trim();
  const digits = trimmed.replace(/^\+/, '').replace(/^00/, '');
  if (!/^[0-9]+$/.test(digits)) return [trimmed];
  return [digits, `+${digits}`, `00${digits}`];
}

export class MessageHistoryRepo {
  constructor(private readonly sql: SqlExecutor) {}

  /** The numeric id of a stored message. */
  async seqOf(direction: HistoryDirection, id: string): Promise<number | undefined> {
    return (await this.sql.get<{ seq: number }>('SELECT seq FROM message_seq WHERE direction = ? AND message_id = ?', [direction, id]))?.seq;
  }

  /** The executor caches a prepared statement per SQL text: the shape varies with the filters, the set of shapes is small. */
  async list(query: HistoryQuery): Promise<{ total: number; entries: HistoryEntry[] }> {
    const args: unknown[] = [];
    const parts: string[] = [];
    if (query.direction !== 'in') parts.push(this.outboundSelect(query, args));
    if (query.direction !== 'out' && query.ownNumbers.length > 0 && query.statuses === undefined && query.refused === undefined) {
      parts.push(this.inboundSelect(query, args));
    }
    if (parts.length === 0) return { total: 0, entries: [] };
    const union = parts.join(' UNION ALL ');
    const total = (await this.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (${union}) AS h`, args))!.n;
    const order = query.newestFirst ? 'DESC' : 'ASC';
    const rows = await this.sql.all<HistoryRow>(`SELECT * FROM (${union}) AS h ORDER BY seq ${order} LIMIT ? OFFSET ?`, [...args, query.limit, query.offset]);
    return { total, entries: rows.map(toEntry) };
  }

  private outboundSelect(query: HistoryQuery, args: unknown[]): string {
    const where = ['m."user" = ?'];
    args.push(query.user);
    this.common(query, 'm.sender', 'm.recipient', 'm.created_at', where, args);
    if (query.statuses !== undefined) {
      if (query.statuses.length === 0) where.push('1 = 0');
      else {
        where.push(`m.status IN (${query.statuses.map(() => '?').join(', ')})`);
        args.push(...query.statuses);
      }
    }
    if (query.refused !== undefined) where.push(query.refused ? 'm.submitted_at IS NULL' : 'm.submitted_at IS NOT NULL');
    return `SELECT s.seq, 'out' AS direction, m.id, m.dialect, m.sender, m.recipient, m.text, m.status,
        m.parts_estimate AS parts, m.error_code, m.error_text, m.submitted_at, m.created_at AS at, m.meta
      FROM messages m JOIN message_seq s ON s.direction = 'out' AND s.message_id = m.id
      WHERE ${where.join(' AND ')}`;
  }

  private inboundSelect(query: HistoryQuery, args: unknown[]): string {
    const own = [...new Set(query.ownNumbers.flatMap(numberVariants))];
    const where = [`i.recipient IN (${own.map(() => '?').join(', ')})`];
    args.push(...own);
    this.common(query, 'i.sender', 'i.recipient', 'i.received_at', where, args);
    return `SELECT s.seq, 'in' AS direction, i.id, NULL AS dialect, i.sender, i.recipient, i.text, NULL AS status,
        i.parts_total AS parts, NULL AS error_code, NULL AS error_text, NULL AS submitted_at, i.received_at AS at, '{}' AS meta
      FROM inbound_messages i JOIN message_seq s ON s.direction = 'in' AND s.message_id = i.id
      WHERE ${where.join(' AND ')}`;
  }

  private common(query: HistoryQuery, sender: string, recipient: string, at: string, where: string[], args: unknown[]): void {
    for (const [column, value] of [
      [sender, query.sender],
      [recipient, query.recipient],
    ] as const) {
      if (value === undefined) continue;
      const variants = numberVariants(value);
      where.push(`${column} IN (${variants.map(() => '?').join(', ')})`);
      args.push(...variants);
    }
    if (query.fromMs !== undefined) {
      where.push(`${at} >= ?`);
      args.push(query.fromMs);
    }
    if (query.toMs !== undefined) {
      where.push(`${at} <= ?`);
      args.push(query.toMs);
    }
    if (query.afterSeq !== undefined) {
      where.push('s.seq > ?');
      args.push(query.afterSeq);
    }
  }
}

function toEntry(row: HistoryRow): HistoryEntry {
  return {
    seq: row.seq,
    direction: row.direction,
    id: row.id,
    dialect: row.dialect,
    sender: row.sender,
    recipient: row.recipient,
    text: row.text,
    status: row.status,
    parts: row.parts,
    errorCode: row.error_code,
    errorText: row.error_text,
    submittedAt: row.submitted_at,
    at: row.at,
    meta: JSON.parse(row.meta) as Record<string, unknown>,
  };
}
