/** SQL for the `emails` table (migration 3): the e-mail outbox (src/email/). */
import type { EmailRequest, EmailRow, EmailState, EmailStore } from '../email/email.js';
import type { SqlExecutor } from './sql.js';

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
    id: Number(row.id),
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

export class EmailRepo implements EmailStore {
  constructor(private readonly sql: SqlExecutor) {}

  async insert(request: EmailRequest, now: number): Promise<number> {
    const row = await this.sql.get<{ id: number }>(
      `INSERT INTO emails (kind, recipients, sender, subject, text, html, state, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING id`,
      [request.kind, JSON.stringify(request.to), request.from, request.subject, request.text, request.html ?? null, now, now],
    );
    return Number(row!.id);
  }

  async due(now: number, limit: number): Promise<EmailRow[]> {
    return (
      await this.sql.all<Row>("SELECT * FROM emails WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?", [now, limit])
    ).map(toEmail);
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<EmailRow[]> {
    const skipLocked = this.sql.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const rows = await this.sql.all<Row>(
      `UPDATE emails SET next_attempt_at = ? WHERE id IN (
         SELECT id FROM emails WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?${skipLocked})
       RETURNING *`,
      [now + leaseMs, now, limit],
    );
    return rows.map(toEmail).sort((a, b) => a.id - b.id);
  }

  async nextDueAt(): Promise<number | null> {
    return (await this.sql.get<{ at: number | null }>("SELECT MIN(next_attempt_at) AS at FROM emails WHERE state = 'pending'"))!.at;
  }

  async sent(id: number, attempts: number, at: number): Promise<void> {
    await this.sql.run("UPDATE emails SET state = 'sent', attempts = ?, sent_at = ?, last_error = NULL WHERE id = ?", [attempts, at, id]);
  }

  async failed(id: number, attempts: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.sql.run('UPDATE emails SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?', [attempts, nextAttemptAt, error, id]);
  }

  async dead(id: number, attempts: number, error: string): Promise<void> {
    await this.sql.run("UPDATE emails SET state = 'dead', attempts = ?, last_error = ? WHERE id = ?", [attempts, error, id]);
  }

  async pendingCount(): Promise<number> {
    return (await this.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM emails WHERE state = 'pending'"))!.n;
  }
}
