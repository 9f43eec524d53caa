/**
 * SQL for outbound messages and their parts. Callers run writes inside a
 * group-commit operation so a state change and the callback it causes
 * commit together.
 */
import { ALIVE_NODES, CLUSTER_CHANNEL_SQL } from './cluster-repo.js';
import type { SqlExecutor } from './sql.js';
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
  send_at: number | null;
  possible_duplicate: number;
  claimed_by?: string | null;
  version: number;
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
    sendAt: row.send_at,
    possibleDuplicate: row.possible_duplicate === 1,
    claimedBy: row.claimed_by ?? null,
    version: row.version,
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

/**
 * A message's columns but its history (`events`): every hot-path read (claims, the status writer's locked
 * read) would otherwise carry the history lines it never looks at.
 */
const COLUMNS = `id, "user", dialect, sender, recipient, text, status, parts_estimate, encoding, concat_ref, callback_url, meta,
  connector_id, attempts, next_attempt_at, error_code, error_text, carrier_status, carrier_error, created_at, updated_at,
  submitted_at, done_at, expires_at, send_at, possible_duplicate, claimed_by, version`;

/** Where a read of scheduled messages in send-time order goes on from: after `at`, or after `id` among those at `at`. */
export interface ScheduleCursor {
  at: number;
  id?: string;
}

export interface HistoryFilter {
  id?: string;
  status?: string;
  dialect?: string;
  /** Newest first (the console); oldest first otherwise (the dialects' history methods). */
  newestFirst?: boolean;
  user?: string;
  sender?: string;
  recipient?: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
  offset: number;
}

export class MessageRepo {
  /** Built once: the executor caches a statement per SQL text, and a text built per call would be hashed per call. */
  private readonly getLocked: string;
  private readonly byCarrierId = new Map<number, string>();

  constructor(private readonly sql: SqlExecutor) {
    this.getLocked = `SELECT ${COLUMNS} FROM messages WHERE id = ?${sql.dialect === 'postgres' ? ' FOR UPDATE' : ''}`;
  }

  async insert(message: StoredMessage): Promise<void> {
    await this.sql.run(INSERT, [
      message.id,
      message.user,
      message.dialect,
      message.sender,
      message.recipient,
      message.text,
      message.status,
      message.partsEstimate,
      message.encoding,
      message.concatRef,
      message.callbackUrl,
      JSON.stringify(message.meta),
      message.connectorId,
      message.attempts,
      message.nextAttemptAt,
      message.createdAt,
      message.updatedAt,
      message.expiresAt,
      message.sendAt ?? null,
      message.claimedBy ?? null,
    ]);
  }

  /** Read a message to change its status: on PostgreSQL the row stays locked until the transaction ends. */
  async getForUpdate(id: string): Promise<StoredMessage | undefined> {
    const row = await this.sql.get<MessageRow>(this.getLocked, [id]);
    return row ? toMessage(row) : undefined;
  }

  /**
   * Claim unfinished messages that are due and that no live node holds: unclaimed, or claimed by a node whose
   * heartbeat is older than `leaseMs`; with `ownBefore`, also this node's own accepted before that time (what
   * it held before it restarted — not what it accepted since, which it is sending). Rows another node is
   * claiming right now are skipped, not waited for (PostgreSQL).
   */
  async claimDue(nodeId: string, leaseMs: number, now: number, limit: number, ownBefore: number | null): Promise<StoredMessage[]> {
    const skipLocked = this.sql.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const rows = await this.sql.all<MessageRow>(
      `UPDATE messages SET claimed_by = ? WHERE id IN (
         SELECT id FROM messages WHERE status = 'accepted' AND next_attempt_at <= ?
           AND (claimed_by IS NULL OR claimed_by NOT IN (${ALIVE_NODES})${ownBefore !== null ? ' OR (claimed_by = ? AND created_at < ?)' : ''})
         ORDER BY next_attempt_at LIMIT ?${skipLocked})
       RETURNING ${COLUMNS}`,
      ownBefore !== null ? [nodeId, now, leaseMs, nodeId, ownBefore, limit] : [nodeId, now, leaseMs, limit],
    );
    return rows.map(toMessage);
  }

  async get(id: string): Promise<StoredMessage | undefined> {
    const row = await this.sql.get<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE id = ?`, [id]);
    return row ? toMessage(row) : undefined;
  }

  /** Messages still waiting for a carrier, oldest due first (start-up recovery); with `sendBy`, none scheduled after it. */
  async listPending(sendBy?: number): Promise<StoredMessage[]> {
    const rows =
      sendBy === undefined
        ? await this.sql.all<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE status = 'accepted' ORDER BY next_attempt_at, created_at`)
        : await this.sql.all<MessageRow>(
            `SELECT ${COLUMNS} FROM messages WHERE status = 'accepted' AND (send_at IS NULL OR send_at <= ?) ORDER BY next_attempt_at, created_at`,
            [sendBy],
          );
    return rows.map(toMessage);
  }

  /**
   * Give a message back to the cluster: another node (one holding a bind it can go through) claims it. `tell`: the
   * other nodes hear of it when the transaction commits (the cluster's channel, one notification a transaction), so the
   * node that can send it claims it then rather than at its next sweep.
   */
  async release(id: string, nodeId: string, tell = true): Promise<void> {
    const release = "UPDATE messages SET claimed_by = NULL WHERE id = ? AND claimed_by = ? AND status = 'accepted'";
    if (tell && this.sql.dialect === 'postgres') {
      await this.sql.run(`WITH released AS (${release} RETURNING id) SELECT pg_notify(${CLUSTER_CHANNEL_SQL}, ?) FROM released`, [
        id,
        nodeId,
        `messages:${nodeId}`,
      ]);
    } else {
      await this.sql.run(release, [id, nodeId]);
    }
  }

  /**
   * Unfinished messages that have waited for a carrier since before `cutoff`: since they were accepted, or since
   * their send time when scheduled. With `claimedBy`, only those that node holds.
   */
  async listPendingSince(cutoff: number, claimedBy: string | null = null): Promise<StoredMessage[]> {
    const waiting = `SELECT ${COLUMNS} FROM messages WHERE status = 'accepted' AND COALESCE(send_at, created_at) < ?`;
    const rows =
      claimedBy === null
        ? await this.sql.all<MessageRow>(`${waiting} LIMIT 500`, [cutoff])
        : await this.sql.all<MessageRow>(`${waiting} AND claimed_by = ? LIMIT 500`, [cutoff, claimedBy]);
    return rows.map(toMessage);
  }

  /**
   * Scheduled messages still waiting whose send time is after `after` (a send time and, at that time, an id) and at
   * or before `until`, in send-time order (index messages_scheduled); with `claimedBy`, only those that node holds.
   */
  async listScheduled(after: ScheduleCursor, until: number, claimedBy: string | null, limit: number): Promise<StoredMessage[]> {
    // The first page starts strictly after a time; the next ones after the last row read, by (send_at, id).
    const params: unknown[] = after.id === undefined ? [after.at, until] : [after.at, after.at, after.id, until];
    if (claimedBy !== null) params.push(claimedBy);
    params.push(limit);
    const rows = await this.sql.all<MessageRow>(
      `SELECT ${COLUMNS} FROM messages WHERE status = 'accepted' AND send_at IS NOT NULL
         AND ${after.id === undefined ? 'send_at > ?' : '(send_at > ? OR (send_at = ? AND id > ?))'} AND send_at <= ?${claimedBy !== null ? ' AND claimed_by = ?' : ''}
       ORDER BY send_at, id LIMIT ?`,
      params,
    );
    return rows.map(toMessage);
  }

  /** Messages of a connector still waiting for their report, submitted at or before `before`. */
  async listAwaitingReport(connectorId: string, before: number): Promise<StoredMessage[]> {
    const rows = await this.sql.all<MessageRow>(
      `SELECT ${COLUMNS} FROM messages WHERE connector_id = ? AND status IN ('submitted', 'buffered') AND submitted_at <= ? ORDER BY submitted_at LIMIT 500`,
      [connectorId, before],
    );
    return rows.map(toMessage);
  }

  /** Unfinished messages whose own deadline (expires_at) has passed (index messages_expiring, migration 3). */
  async listPastDeadline(now: number): Promise<StoredMessage[]> {
    const rows = await this.sql.all<MessageRow>(
      `SELECT ${COLUMNS} FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ? AND status IN ('accepted', 'submitted', 'buffered') ORDER BY expires_at LIMIT 500`,
      [now],
    );
    return rows.map(toMessage);
  }

  async parts(messageId: string): Promise<MessagePart[]> {
    return (await this.sql.all<PartRow>('SELECT * FROM message_parts WHERE message_id = ? ORDER BY part_no', [messageId])).map(toPart);
  }

  async savePart(part: MessagePart, carrierIdNorm: string | null): Promise<void> {
    // Positional, like update: a named-parameter object per part was one more copy per status step.
    await this.sql.run(UPSERT_PART, [
      part.messageId,
      part.partNo,
      part.partsTotal,
      part.connectorId,
      part.carrierId,
      carrierIdNorm,
      part.status,
      part.carrierStatus,
      part.carrierError,
      part.submittedAt,
      part.doneAt,
    ]);
  }

  /**
   * A stored part's progress (a receipt, a retried submit's result under the same reference): its status, the
   * carrier's words and its times, nothing of what identifies it. False, and nothing written, when no such part is
   * stored. Cheaper than `savePart`'s upsert, which sets the connector and carrier id too and so rewrites the part's
   * entry in the carrier-id index even when they are unchanged (bench/RESULTS.md, "Issue 18, session 33").
   */
  async updatePartStatus(part: MessagePart): Promise<boolean> {
    const { changes } = await this.sql.run(UPDATE_PART_STATUS, [
      part.status,
      part.carrierStatus,
      part.carrierError,
      part.submittedAt,
      part.doneAt,
      part.messageId,
      part.partNo,
    ]);
    return changes === 1;
  }

  /**
   * A waiting message's text, send time, expiry and meta as its client replaced them, with `events` appended; false,
   * and nothing written, when it no longer waits for a carrier.
   */
  async replaceWaiting(message: StoredMessage, events: string): Promise<boolean> {
    const { changes } = await this.sql.run(
      `UPDATE messages SET text = ?, parts_estimate = ?, encoding = ?, meta = ?, send_at = ?, next_attempt_at = ?, expires_at = ?,
         updated_at = ?, events = events || ?, version = version + 1
       WHERE id = ? AND status = 'accepted'`,
      [
        message.text,
        message.partsEstimate,
        message.encoding,
        JSON.stringify(message.meta),
        message.sendAt ?? null,
        message.nextAttemptAt,
        message.expiresAt,
        message.updatedAt,
        events,
        message.id,
      ],
    );
    return changes === 1;
  }

  /** `events`: lines of the message's history to append (sms/message.ts encodeEvents), in the same statement. */
  async update(message: StoredMessage, events = ''): Promise<void> {
    // The row's version goes up; `message.version` stays as read (a later conditional write from it then finds
    // the row changed and reads it again, which is only slower).
    await this.sql.run(UPDATE, this.updateParams(message, events));
  }

  /**
   * `update`, only if the row is still at `message.version` (nobody, on this node or another, has written it
   * since it was read); false, with nothing written, if it is not. On success `message.version` is the row's new
   * one. Decision 0111.
   */
  async updateIfUnchanged(message: StoredMessage & { version: number }, events = ''): Promise<boolean> {
    const params = this.updateParams(message, events);
    params.push(message.version);
    if ((await this.sql.run(UPDATE_IF_UNCHANGED, params)).changes !== 1) return false;
    message.version++;
    return true;
  }

  private updateParams(message: StoredMessage, events: string): unknown[] {
    // Positional, not a spread of the message: this runs for every status step, and a 30-field copy per step
    // was garbage enough to grow the daemon's peak RSS by ~18 MiB under load (bench/RESULTS.md, 2026-12-02).
    return [
      message.status,
      message.connectorId,
      message.attempts,
      message.nextAttemptAt,
      message.errorCode,
      message.errorText,
      message.carrierStatus,
      message.carrierError,
      message.updatedAt,
      message.submittedAt,
      message.doneAt,
      message.possibleDuplicate ? 1 : 0,
      events,
      message.id,
    ];
  }

  /** A message with its history lines, oldest first (sms/message.ts decodeEvents), in one read. */
  async getWithEvents(id: string): Promise<{ message: StoredMessage; events: string } | undefined> {
    const row = await this.sql.get<MessageRow & { events: string }>(`SELECT ${COLUMNS}, events FROM messages WHERE id = ?`, [id]);
    return row ? { message: toMessage(row), events: row.events } : undefined;
  }

  /** Parts of `connectorId` whose normalised carrier id is any of `norms`. */
  async findPartsByCarrierId(connectorId: string, norms: readonly string[]): Promise<MessagePart[]> {
    let sql = this.byCarrierId.get(norms.length);
    if (!sql) {
      sql = `SELECT * FROM message_parts WHERE connector_id = ? AND carrier_id_norm IN (${norms.map(() => '?').join(', ')})`;
      this.byCarrierId.set(norms.length, sql);
    }
    const rows = await this.sql.all<PartRow>(sql, [connectorId, ...norms]);
    return rows.map(toPart);
  }

  async history(filter: HistoryFilter): Promise<{ total: number; rows: StoredMessage[] }> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [column, value] of [
      ['id', filter.id],
      ['status', filter.status],
      ['dialect', filter.dialect],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    if (filter.user !== undefined) {
      where.push('"user" = ?');
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
    const total = (await this.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM messages ${clause}`, args))!.n;
    const rows = await this.sql.all<MessageRow>(
      `SELECT ${COLUMNS} FROM messages ${clause} ORDER BY ${filter.newestFirst ? 'created_at DESC, id DESC' : 'created_at, id'} LIMIT ? OFFSET ?`,
      [...args, filter.limit, filter.offset],
    );
    return { total, rows: rows.map(toMessage) };
  }
}

const INSERT = `
  INSERT INTO messages (id, "user", dialect, sender, recipient, text, status, parts_estimate, encoding, concat_ref,
    callback_url, meta, connector_id, attempts, next_attempt_at, created_at, updated_at, expires_at, send_at, claimed_by)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const UPSERT_PART = `
  INSERT INTO message_parts (message_id, part_no, parts_total, connector_id, carrier_id, carrier_id_norm, status,
    carrier_status, carrier_error, submitted_at, done_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (message_id, part_no) DO UPDATE SET
    parts_total = excluded.parts_total, connector_id = excluded.connector_id, carrier_id = excluded.carrier_id,
    carrier_id_norm = excluded.carrier_id_norm, status = excluded.status, carrier_status = excluded.carrier_status,
    carrier_error = excluded.carrier_error, submitted_at = excluded.submitted_at, done_at = excluded.done_at`;

const UPDATE_PART_STATUS = `
  UPDATE message_parts SET status = ?, carrier_status = ?, carrier_error = ?, submitted_at = ?, done_at = ?
  WHERE message_id = ? AND part_no = ?`;

const UPDATE = `
  UPDATE messages SET status = ?, connector_id = ?, attempts = ?, next_attempt_at = ?, error_code = ?, error_text = ?,
    carrier_status = ?, carrier_error = ?, updated_at = ?, submitted_at = ?, done_at = ?, possible_duplicate = ?,
    events = events || ?, version = version + 1
  WHERE id = ?`;

const UPDATE_IF_UNCHANGED = `${UPDATE} AND version = ?`;
