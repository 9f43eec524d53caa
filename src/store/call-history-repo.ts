/**
 * Finished calls (migration 4), for Ozeki's ListCallHistory: one row per
 * call, written once when its dialog ends, newest first when listed.
 */
import type { SqlExecutor } from './sql.js';

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
  constructor(private readonly sql: SqlExecutor) {}

  /** Inside a group-commit operation; a call ended twice (a retried BYE) keeps its last row. */
  async insert(row: CallHistoryRow): Promise<void> {
    await this.sql.run(
      `INSERT INTO call_history (call_id, direction, source, caller_id, destination, dialed, state, end_reason, start_time, answered_at, ended_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (call_id) DO UPDATE SET direction = excluded.direction, source = excluded.source, caller_id = excluded.caller_id,
         destination = excluded.destination, dialed = excluded.dialed, state = excluded.state, end_reason = excluded.end_reason,
         start_time = excluded.start_time, answered_at = excluded.answered_at, ended_at = excluded.ended_at`,
      [row.callId, row.direction, row.source, row.callerId, row.destination, row.dialed, row.state, row.endReason, row.startTime, row.answeredAt, row.endedAt],
    );
  }

  async list(query: CallHistoryQuery): Promise<{ total: number; rows: CallHistoryRow[] }> {
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
    if (query.state) add('lower(state) = lower(?)', query.state);
    if (query.callId) add('call_id = ?', query.callId);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = (await this.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM call_history ${clause}`, params))!.n;
    const rows = await this.sql.all<DbRow>(`SELECT * FROM call_history ${clause} ORDER BY start_time DESC, call_id LIMIT ? OFFSET ?`, [
      ...params,
      query.rowsPerPage,
      query.page * query.rowsPerPage,
    ]);
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
