/**
 * SQL for `sms_failovers` (migrations 3 and 4): SMS whose failure becomes a
 * call. The table is the work list of failover-calls.ts, so a crash or a busy
 * callee loses nothing:
 *
 *   pending ──claim──► calling ──► done      (the callee answered; the flow ran)
 *      ▲                  ├──────► failed    (attempts used up, or the link is gone)
 *      └──── retryLater ◄─┘                  (busy, no answer, unreachable)
 *
 * A row found `calling` at start-up was cut off by a crash: it goes back to
 * `pending` (recoverCalling), so its call is placed again (at least once).
 */
import { ALIVE_NODES } from './cluster-repo.js';
import type { SqlExecutor } from './sql.js';

export type SmsFailoverState = 'pending' | 'calling' | 'done' | 'failed';

export interface SmsFailoverRow {
  messageId: string;
  linkId: string;
  origin: string;
  destination: string;
  content: string;
  smsStatus: string;
  state: SmsFailoverState;
  /** Calls placed so far (claim counts one). */
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A row with the API user of its SMS, whose flow's own SMS are sent as that user. */
export interface DueFailover extends SmsFailoverRow {
  user: string;
}

interface Row {
  message_id: string;
  link_id: string;
  origin: string;
  destination: string;
  content: string;
  sms_status: string;
  state: SmsFailoverState;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  user?: string;
}

function toFailover(row: Row): SmsFailoverRow {
  return {
    messageId: row.message_id,
    linkId: row.link_id,
    origin: row.origin,
    destination: row.destination,
    content: row.content,
    smsStatus: row.sms_status,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SmsFailoverRepo {
  constructor(private readonly sql: SqlExecutor) {}

  /** A message finishes once, but the insert is idempotent anyway: a batch may run twice (group-commit.ts). */
  async insertPending(event: Pick<SmsFailoverRow, 'messageId' | 'linkId' | 'origin' | 'destination' | 'content' | 'smsStatus'>, now: number): Promise<boolean> {
    const { changes } = await this.sql.run(
      `INSERT INTO sms_failovers (message_id, link_id, origin, destination, content, sms_status, state, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [event.messageId, event.linkId, event.origin, event.destination, event.content, event.smsStatus, now, now, now],
    );
    return changes > 0;
  }

  /** Pending rows whose time has come, oldest due first. */
  async due(now: number, limit: number): Promise<DueFailover[]> {
    const rows = await this.sql.all<Row>(
      `SELECT f.*, m."user" AS "user" FROM sms_failovers f JOIN messages m ON m.id = f.message_id
       WHERE f.state = 'pending' AND f.next_attempt_at <= ? ORDER BY f.next_attempt_at LIMIT ?`,
      [now, limit],
    );
    return rows.map((row) => ({ ...toFailover(row), user: row.user! }));
  }

  /** When the next pending row is due; null when none is pending. */
  async nextDueAt(): Promise<number | null> {
    return (await this.sql.get<{ at: number | null }>("SELECT MIN(next_attempt_at) AS at FROM sms_failovers WHERE state = 'pending'"))!.at;
  }

  async get(messageId: string): Promise<SmsFailoverRow | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM sms_failovers WHERE message_id = ?', [messageId]);
    return row ? toFailover(row) : undefined;
  }

  /** pending → calling, counting the attempt, by `nodeId` (null on one node); false when someone else took it. */
  async claim(messageId: string, now: number, nodeId: string | null = null): Promise<boolean> {
    const { changes } = await this.sql.run(
      "UPDATE sms_failovers SET state = 'calling', attempts = attempts + 1, updated_at = ?, claimed_by = ? WHERE message_id = ? AND state = 'pending'",
      [now, nodeId, messageId],
    );
    return changes > 0;
  }

  /** calling → pending, to be called again at `nextAttemptAt`. */
  async retryLater(messageId: string, nextAttemptAt: number, error: string, now: number): Promise<boolean> {
    const { changes } = await this.sql.run(
      "UPDATE sms_failovers SET state = 'pending', next_attempt_at = ?, last_error = ?, updated_at = ? WHERE message_id = ? AND state = 'calling'",
      [nextAttemptAt, error, now, messageId],
    );
    return changes > 0;
  }

  /** → done or failed, for good. */
  async finish(messageId: string, state: 'done' | 'failed', error: string | null, now: number): Promise<boolean> {
    const { changes } = await this.sql.run(
      "UPDATE sms_failovers SET state = ?, last_error = ?, updated_at = ? WHERE message_id = ? AND state IN ('pending', 'calling')",
      [state, error, now, messageId],
    );
    return changes > 0;
  }

  /**
   * Calls cut off by a crash are placed again: at start-up every call left `calling` (one node), or in a
   * cluster those of this node and of nodes that are gone (`leaseMs`), never a live node's call in progress.
   */
  async recoverCalling(now: number, cluster: { nodeId: string; leaseMs: number; own: boolean } | null = null): Promise<number> {
    if (!cluster) {
      return (await this.sql.run("UPDATE sms_failovers SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE state = 'calling'", [now, now]))
        .changes;
    }
    const { changes } = await this.sql.run(
      `UPDATE sms_failovers SET state = 'pending', next_attempt_at = ?, updated_at = ?
       WHERE state = 'calling' AND (claimed_by IS NULL OR claimed_by NOT IN (${ALIVE_NODES})${cluster.own ? ' OR claimed_by = ?' : ''})`,
      cluster.own ? [now, now, cluster.leaseMs, cluster.nodeId] : [now, now, cluster.leaseMs],
    );
    return changes;
  }
}
