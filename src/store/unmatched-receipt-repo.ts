/**
 * Receipts that arrived before the submit_sm_resp they refer to was stored
 * (a fast SMSC, a receipt on another bind, a crash in between). They wait
 * here, durably, until the part's carrier id is recorded.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './sqlite/db.js';
import type { ReceiptEvent } from '../sms/connectors/connector.js';

export interface UnmatchedReceipt {
  id: number;
  event: ReceiptEvent;
  receivedAt: number;
}

export class UnmatchedReceiptRepo {
  private readonly insertStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly purgeStmt: Statement;
  private readonly countStmt: Statement;
  private readonly settledStmt: Statement;
  private readonly findStmts = new Map<number, Statement>();

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare('INSERT INTO unmatched_receipts (connector_id, carrier_id, event, received_at) VALUES (?, ?, ?, ?)');
    this.deleteStmt = db.prepare('DELETE FROM unmatched_receipts WHERE id = ?');
    this.purgeStmt = db.prepare('DELETE FROM unmatched_receipts WHERE received_at < ?');
    this.countStmt = db.prepare('SELECT COUNT(*) AS n FROM unmatched_receipts');
    this.settledStmt = db.prepare('SELECT id, event, received_at FROM unmatched_receipts WHERE id > ? AND received_at <= ? ORDER BY id LIMIT ?');
  }

  insert(event: ReceiptEvent, normalizedId: string, receivedAt: number): void {
    this.insertStmt.run(event.connectorId, normalizedId, JSON.stringify(event), receivedAt);
  }

  find(connectorId: string, normalizedIds: readonly string[]): UnmatchedReceipt[] {
    let stmt = this.findStmts.get(normalizedIds.length);
    if (!stmt) {
      stmt = this.db.prepare(
        `SELECT id, event, received_at FROM unmatched_receipts WHERE connector_id = ? AND carrier_id IN (${normalizedIds
          .map(() => '?')
          .join(', ')}) ORDER BY id`,
      );
      this.findStmts.set(normalizedIds.length, stmt);
    }
    const rows = stmt.all(connectorId, ...normalizedIds) as Array<{ id: number; event: string; received_at: number }>;
    return rows.map((row) => ({ id: row.id, event: JSON.parse(row.event) as ReceiptEvent, receivedAt: row.received_at }));
  }

  /** Receipts after `afterId` that have waited since `before` or longer, oldest first. */
  settled(afterId: number, before: number, limit: number): UnmatchedReceipt[] {
    const rows = this.settledStmt.all(afterId, before, limit) as Array<{ id: number; event: string; received_at: number }>;
    return rows.map((row) => ({ id: row.id, event: JSON.parse(row.event) as ReceiptEvent, receivedAt: row.received_at }));
  }

  delete(id: number): void {
    this.deleteStmt.run(id);
  }

  /** Drop receipts older than `cutoff`; returns how many were given up on. */
  purgeOlderThan(cutoff: number): number {
    return this.purgeStmt.run(cutoff).changes;
  }

  count(): number {
    return (this.countStmt.get() as { n: number }).n;
  }
}
