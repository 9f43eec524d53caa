/** SQL for `sms_failovers` (migration 3): SMS whose failure should become a call. */
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

export type SmsFailoverState = 'pending' | 'calling' | 'done' | 'failed';

export interface SmsFailoverRow {
  messageId: string;
  linkId: string;
  origin: string;
  destination: string;
  content: string;
  smsStatus: string;
  state: SmsFailoverState;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  message_id: string;
  link_id: string;
  origin: string;
  destination: string;
  content: string;
  sms_status: string;
  state: SmsFailoverState;
  created_at: number;
  updated_at: number;
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
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SmsFailoverRepo {
  private readonly insertStmt: Statement;
  private readonly pendingStmt: Statement;
  private readonly getStmt: Statement;
  private readonly stateStmt: Statement;

  constructor(db: Db) {
    // A message finishes once, but the insert is idempotent anyway: a batch may run twice (group-commit.ts).
    this.insertStmt = db.prepare(`
      INSERT OR IGNORE INTO sms_failovers (message_id, link_id, origin, destination, content, sms_status, state, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`);
    this.pendingStmt = db.prepare("SELECT * FROM sms_failovers WHERE state = 'pending' ORDER BY created_at LIMIT ?");
    this.getStmt = db.prepare('SELECT * FROM sms_failovers WHERE message_id = ?');
    this.stateStmt = db.prepare('UPDATE sms_failovers SET state = ?, updated_at = ? WHERE message_id = ?');
  }

  insertPending(event: Omit<SmsFailoverRow, 'state' | 'createdAt' | 'updatedAt'>, now: number): boolean {
    return this.insertStmt.run(event.messageId, event.linkId, event.origin, event.destination, event.content, event.smsStatus, now, now).changes > 0;
  }

  listPending(limit = 100): SmsFailoverRow[] {
    return (this.pendingStmt.all(limit) as Row[]).map(toFailover);
  }

  get(messageId: string): SmsFailoverRow | undefined {
    const row = this.getStmt.get(messageId) as Row | undefined;
    return row ? toFailover(row) : undefined;
  }

  setState(messageId: string, state: SmsFailoverState, now: number): boolean {
    return this.stateStmt.run(state, now, messageId).changes > 0;
  }
}
