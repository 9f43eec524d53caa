/** SQL for `emails` (migration 3): outbound e-mail, stored with the change that caused it. */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/sqlite/db.js';

export type EmailState = 'pending' | 'sent' | 'dead';

export interface EmailRequest {
  /** What caused it (e.g. 'SmsAlert'), for logs and metrics. */
  kind: string;
  to: string[];
  /** RFC 5322 mailbox: "Name <address>" or an address. */
  from: string;
  subject: string;
  text: string;
  html?: string | null;
}

export interface EmailRow extends EmailRequest {
  id: number;
  state: EmailState;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  sentAt: number | null;
  lastError: string | null;
}

interface Row {
  id: number;
  kind: string;
  recipients: string;
  sender: string;
  subject: string;
  text: string;
  html: string | null;
  state: EmailState;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  sent_at: number | null;
  last_error: string | null;
}

function toEmail(row: Row): EmailRow {
  return {
    id: row.id,
    kind: row.kind,
    to: JSON.parse(row.recipients) as string[],
    from: row.sender,
    subject: row.subject,
    text: row.text,
    html: row.html,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    lastError: row.last_error,
  };
}

const statements = new WeakMap<Db, EmailStatements>();

export class EmailStatements {
  readonly insert: Statement;
  readonly due: Statement;
  readonly nextDue: Statement;
  readonly sent: Statement;
  readonly failed: Statement;
  readonly dead: Statement;
  readonly pendingCount: Statement;

  private constructor(db: Db) {
    this.insert = db.prepare(`
      INSERT INTO emails (kind, recipients, sender, subject, text, html, state, attempts, next_attempt_at, created_at)
      VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`);
    this.due = db.prepare("SELECT * FROM emails WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?");
    this.nextDue = db.prepare("SELECT MIN(next_attempt_at) AS at FROM emails WHERE state = 'pending'");
    this.sent = db.prepare("UPDATE emails SET state = 'sent', attempts = ?, sent_at = ?, last_error = NULL WHERE id = ?");
    this.failed = db.prepare('UPDATE emails SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?');
    this.dead = db.prepare("UPDATE emails SET state = 'dead', attempts = ?, last_error = ? WHERE id = ?");
    this.pendingCount = db.prepare("SELECT COUNT(*) AS n FROM emails WHERE state = 'pending'");
  }

  static for(db: Db): EmailStatements {
    let s = statements.get(db);
    if (!s) {
      s = new EmailStatements(db);
      statements.set(db, s);
    }
    return s;
  }

  dueRows(now: number, limit: number): EmailRow[] {
    return (this.due.all(now, limit) as Row[]).map(toEmail);
  }
}

/** Store an e-mail. Synchronous: call inside the transaction of the change that causes it. */
export function enqueueEmail(db: Db, request: EmailRequest, now = Date.now()): number {
  const result = EmailStatements.for(db).insert.run(
    request.kind,
    JSON.stringify(request.to),
    request.from,
    request.subject,
    request.text,
    request.html ?? null,
    now,
    now,
  );
  return Number(result.lastInsertRowid);
}
