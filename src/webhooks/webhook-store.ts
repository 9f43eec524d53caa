/** SQL for the `webhooks` table (migration 1): one row per outbound callback. */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/sqlite/db.js';

export type WebhookState = 'pending' | 'delivered' | 'dead';

export interface WebhookRow {
  id: number;
  orderKey: string;
  kind: string;
  url: string;
  method: 'POST' | 'GET';
  contentType: string;
  headers: Record<string, string>;
  body: string;
  state: WebhookState;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  deliveredAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  /** The API user whose request chose the URL (their egress allow-list applies); null for the admin's own URLs. */
  owner: string | null;
}

interface Row {
  id: number;
  order_key: string;
  kind: string;
  url: string;
  method: 'POST' | 'GET';
  content_type: string;
  headers: string;
  body: string;
  state: WebhookState;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  delivered_at: number | null;
  last_status: number | null;
  last_error: string | null;
  owner: string | null;
}

export function toWebhookRow(row: Row): WebhookRow {
  return {
    id: row.id,
    orderKey: row.order_key,
    kind: row.kind,
    url: row.url,
    method: row.method,
    contentType: row.content_type,
    headers: JSON.parse(row.headers) as Record<string, string>,
    body: row.body,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
    owner: row.owner,
  };
}

const statements = new WeakMap<Db, WebhookStatements>();

export class WebhookStatements {
  readonly insert: Statement;
  readonly pendingAfter: Statement;
  readonly pendingIds: Statement;
  readonly byId: Statement;
  readonly delivered: Statement;
  readonly failed: Statement;
  readonly dead: Statement;
  readonly countByState: Statement;

  private constructor(db: Db) {
    this.insert = db.prepare(`
      INSERT INTO webhooks (order_key, kind, url, method, content_type, headers, body, state, attempts, next_attempt_at, created_at, owner)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`);
    this.pendingAfter = db.prepare("SELECT * FROM webhooks WHERE state = 'pending' AND id > ? ORDER BY id");
    this.pendingIds = db.prepare("SELECT id FROM webhooks WHERE state = 'pending'");
    this.byId = db.prepare('SELECT * FROM webhooks WHERE id = ?');
    this.delivered = db.prepare("UPDATE webhooks SET state = 'delivered', attempts = ?, delivered_at = ?, last_status = ?, last_error = NULL WHERE id = ?");
    this.failed = db.prepare('UPDATE webhooks SET attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?');
    this.dead = db.prepare("UPDATE webhooks SET state = 'dead', attempts = ?, last_status = ?, last_error = ? WHERE id = ?");
    this.countByState = db.prepare('SELECT state, COUNT(*) AS n FROM webhooks GROUP BY state');
  }

  /** Prepared once per database. */
  static for(db: Db): WebhookStatements {
    let s = statements.get(db);
    if (!s) {
      s = new WebhookStatements(db);
      statements.set(db, s);
    }
    return s;
  }
}
