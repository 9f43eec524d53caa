/**
 * SQL for outbound messages and their parts. Synchronous (better-sqlite3):
 * callers run these inside a GroupCommitter operation so a state change and
 * the callback it causes commit together.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './sqlite/db.js';
import type { MessagePart, MessageStatus, StoredMessage } from '../sms/message.js';

interface MessageRow {
  id: string;
  user: string;
  dialect: string;
  sender: string;
  recipient: string;
  text: string;
  status: MessageStatus;
  parts_estimate: number;
  encoding: 'gsm7' | 'ucs2';
  concat_ref: number;
  callback_url: string | null;
  meta: string;
  connector_id: string | null;
  attempts: number;
  next_attempt_at: number;
  error_code: string | null;
  error_text: string | null;
  carrier_status: string | null;
  carrier_error: string | null;
  created_at: number;
  updated_at: number;
  submitted_at: number | null;
  done_at: number | null;
  expires_at: number | null;
  possible_duplicate: number;
}

interface PartRow {
  message_id: string;
  part_no: number;
  parts_total: number;
  connector_id: string;
  carrier_id: string | null;
  status: MessageStatus;
  carrier_status: string | null;
  carrier_error: string | null;
  submitted_at: number | null;
  done_at: number | null;
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    user: row.user,
    dialect: row.dialect,
    sender: row.sender,
    recipient: row.recipient,
    text: row.text,
    status: row.status,
    partsEstimate: row.parts_estimate,
    encoding: row.encoding,
    concatRef: row.concat_ref,
    callbackUrl: row.callback_url,
    meta: JSON.parse(row.meta) as Record<string, unknown>,
    connectorId: row.connector_id,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    errorCode: row.error_code,
    errorText: row.error_text,
    carrierStatus: row.carrier_status,
    carrierError: row.carrier_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    submittedAt: row.submitted_at,
    doneAt: row.done_at,
    expiresAt: row.expires_at,
    possibleDuplicate: row.possible_duplicate === 1,
  };
}

function toPart(row: PartRow): MessagePart {
  return {
    messageId: row.message_id,
    partNo: row.part_no,
    partsTotal: row.parts_total,
    connectorId: row.connector_id,
    carrierId: row.carrier_id,
    status: row.status,
    carrierStatus: row.carrier_status,
    carrierError: row.carrier_error,
    submittedAt: row.submitted_at,
    doneAt: row.done_at,
  };
}

export interface HistoryFilter {
  user?: string;
  sender?: string;
  recipient?: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
  offset: number;
}

export class MessageRepo {
  private readonly insertStmt: Statement;
  private readonly getStmt: Statement;
  private readonly pendingStmt: Statement;
  private readonly partsStmt: Statement;
  private readonly upsertPartStmt: Statement;
  private readonly updateStmt: Statement;
  private readonly partsByCarrierStmts = new Map<number, Statement>();
  private readonly expiredPendingStmt: Statement;
  private readonly pastDeadlineStmt: Statement;
  private readonly awaitingReportStmt: Statement;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`
      INSERT INTO messages (id, user, dialect, sender, recipient, text, status, parts_estimate, encoding, concat_ref,
        callback_url, meta, connector_id, attempts, next_attempt_at, created_at, updated_at, expires_at)
      VALUES (@id, @user, @dialect, @sender, @recipient, @text, @status, @partsEstimate, @encoding, @concatRef,
        @callbackUrl, @meta, @connectorId, @attempts, @nextAttemptAt, @createdAt, @updatedAt, @expiresAt)`);
    this.getStmt = db.prepare('SELECT * FROM messages WHERE id = ?');
    this.pendingStmt = db.prepare("SELECT * FROM messages WHERE status = 'accepted' ORDER BY next_attempt_at, created_at");
    this.partsStmt = db.prepare('SELECT * FROM message_parts WHERE message_id = ? ORDER BY part_no');
    this.upsertPartStmt = db.prepare(`
      INSERT INTO message_parts (message_id, part_no, parts_total, connector_id, carrier_id, carrier_id_norm, status,
        carrier_status, carrier_error, submitted_at, done_at)
      VALUES (@messageId, @partNo, @partsTotal, @connectorId, @carrierId, @carrierIdNorm, @status,
        @carrierStatus, @carrierError, @submittedAt, @doneAt)
      ON CONFLICT (message_id, part_no) DO UPDATE SET
        parts_total = excluded.parts_total, connector_id = excluded.connector_id, carrier_id = excluded.carrier_id,
        carrier_id_norm = excluded.carrier_id_norm, status = excluded.status, carrier_status = excluded.carrier_status,
        carrier_error = excluded.carrier_error, submitted_at = excluded.submitted_at, done_at = excluded.done_at`);
    this.updateStmt = db.prepare(`
      UPDATE messages SET status = @status, connector_id = @connectorId, attempts = @attempts,
        next_attempt_at = @nextAttemptAt, error_code = @errorCode, error_text = @errorText,
        carrier_status = @carrierStatus, carrier_error = @carrierError, updated_at = @updatedAt,
        submitted_at = @submittedAt, done_at = @doneAt, possible_duplicate = @possibleDuplicate
      WHERE id = @id`);
    this.expiredPendingStmt = db.prepare("SELECT * FROM messages WHERE status = 'accepted' AND created_at < ? LIMIT 500");
    this.awaitingReportStmt = db.prepare(
      "SELECT * FROM messages WHERE connector_id = ? AND status IN ('submitted', 'buffered') AND submitted_at <= ? ORDER BY submitted_at LIMIT 500",
    );
    this.pastDeadlineStmt = db.prepare(
      "SELECT * FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ? AND status IN ('accepted', 'submitted', 'buffered') ORDER BY expires_at LIMIT 500",
    );
  }

  insert(message: StoredMessage): void {
    this.insertStmt.run({ ...message, meta: JSON.stringify(message.meta) });
  }

  get(id: string): StoredMessage | undefined {
    const row = this.getStmt.get(id) as MessageRow | undefined;
    return row ? toMessage(row) : undefined;
  }

  /** Messages still waiting for a carrier, oldest due first (start-up recovery). */
  listPending(): StoredMessage[] {
    return (this.pendingStmt.all() as MessageRow[]).map(toMessage);
  }

  listPendingCreatedBefore(cutoff: number): StoredMessage[] {
    return (this.expiredPendingStmt.all(cutoff) as MessageRow[]).map(toMessage);
  }

  /** Unfinished messages whose own deadline (expires_at) has passed (index messages_expiring, migration 3). */
  /** Messages of a connector still waiting for their report, submitted at or before `before`. */
  listAwaitingReport(connectorId: string, before: number): StoredMessage[] {
    return (this.awaitingReportStmt.all(connectorId, before) as MessageRow[]).map(toMessage);
  }

  listPastDeadline(now: number): StoredMessage[] {
    return (this.pastDeadlineStmt.all(now) as MessageRow[]).map(toMessage);
  }

  parts(messageId: string): MessagePart[] {
    return (this.partsStmt.all(messageId) as PartRow[]).map(toPart);
  }

  savePart(part: MessagePart & { carrierIdNorm: string | null }): void {
    this.upsertPartStmt.run(part);
  }

  update(message: StoredMessage): void {
    this.updateStmt.run({ ...message, possibleDuplicate: message.possibleDuplicate ? 1 : 0 });
  }

  /** Parts of `connectorId` whose normalised carrier id is any of `norms`. */
  findPartsByCarrierId(connectorId: string, norms: readonly string[]): MessagePart[] {
    let stmt = this.partsByCarrierStmts.get(norms.length);
    if (!stmt) {
      const marks = norms.map(() => '?').join(', ');
      stmt = this.db.prepare(`SELECT * FROM message_parts WHERE connector_id = ? AND carrier_id_norm IN (${marks})`);
      this.partsByCarrierStmts.set(norms.length, stmt);
    }
    return (stmt.all(connectorId, ...norms) as PartRow[]).map(toPart);
  }

  history(filter: HistoryFilter): { total: number; rows: StoredMessage[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.user !== undefined) {
      where.push('user = ?');
      args.push(filter.user);
    }
    if (filter.sender !== undefined) {
      where.push('sender = ?');
      args.push(filter.sender);
    }
    if (filter.recipient !== undefined) {
      where.push('recipient = ?');
      args.push(filter.recipient);
    }
    if (filter.fromMs !== undefined) {
      where.push('created_at >= ?');
      args.push(filter.fromMs);
    }
    if (filter.toMs !== undefined) {
      where.push('created_at <= ?');
      args.push(filter.toMs);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM messages ${clause}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM messages ${clause} ORDER BY created_at, id LIMIT ? OFFSET ?`)
      .all(...args, filter.limit, filter.offset) as MessageRow[];
    return { total, rows: rows.map(toMessage) };
  }
}
