/**
 * Finished calls (migration 4), for Ozeki's ListCallHistory: one row per
 * call, written once when its dialog ends, newest first when listed.
 */
import type { Db } from './sqlite/db.js';

export interface CallHistoryRow {
  callId: string;
  direction: 'inbound' | 'outbound';
  /** Who called (user part of From). */
  source: string;
  /** The caller id shown (display name, or the number). */
  callerId: string;
  /** Who was called (user part of To). */
  destination: string;
  /** What was dialled (inbound: the called number; outbound: the Dialed parameter). */
  dialed: string;
  /** Ozeki's history states: CallerHangUp, CalleeHungUp, TransferCompleted, Cancelled, Rejected, Error. */
  state: string;
  /** telenode's end reason (remote-hangup, local-hangup, cancelled, rejected, ack-timeout, failed). */
  endReason: string;
  startTime: number;
  answeredAt: number | null;
  endedAt: number;
}

export interface CallHistoryQuery {
  /** 0-based. */
  page: number;
  rowsPerPage: number;
  from?: number;
  direction?: 'inbound' | 'outbound';
  source?: string;
  destination?: string;
  state?: string;
  callId?: string;
}

interface DbRow {
  call_id: string;
  direction: 'inbound' | 'outbound';
  source: string;
  caller_id: string;
  destination: string;
  dialed: string;
  state: string;
  end_reason: string;
  start_time: number;
  answered_at: number | null;
  ended_at: number;
}

export class CallHistoryRepo {
  /** Prepared once: at 200 calls/s, preparing per row cost more than the insert itself. */
  private readonly insertStatement;

  constructor(private readonly db: Db) {
    this.insertStatement = db.prepare(
      `INSERT OR REPLACE INTO call_history (call_id, direction, source, caller_id, destination, dialed, state, end_reason, start_time, answered_at, ended_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Inside a group-commit operation (the same connection, so the same statement). */
  insert(row: CallHistoryRow): void {
    this.insertStatement.run(
      row.callId,
      row.direction,
      row.source,
      row.callerId,
      row.destination,
      row.dialed,
      row.state,
      row.endReason,
      row.startTime,
      row.answeredAt,
      row.endedAt,
    );
  }

  list(query: CallHistoryQuery): { total: number; rows: CallHistoryRow[] } {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      where.push(sql);
      params.push(value);
    };
    if (query.from !== undefined) add('start_time >= ?', query.from);
    if (query.direction) add('direction = ?', query.direction);
    if (query.source) add('source = ?', query.source);
    if (query.destination) add('destination = ?', query.destination);
    if (query.state) add('state = ? COLLATE NOCASE', query.state);
    if (query.callId) add('call_id = ?', query.callId);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM call_history ${clause}`).get(...params) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM call_history ${clause} ORDER BY start_time DESC, call_id LIMIT ? OFFSET ?`)
      .all(...params, query.rowsPerPage, query.page * query.rowsPerPage) as DbRow[];
    return {
      total,
      rows: rows.map((r) => ({
        callId: r.call_id,
        direction: r.direction,
        source: r.source,
        callerId: r.caller_id,
        destination: r.destination,
        dialed: r.dialed,
        state: r.state,
        endReason: r.end_reason,
        startTime: r.start_time,
        answeredAt: r.answered_at,
        endedAt: r.ended_at,
      })),
    };
  }
}
