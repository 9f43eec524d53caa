/**
 * Receipts that arrived before the submit_sm_resp they refer to was stored
 * (a fast SMSC, a receipt on another bind, a crash in between). They wait
 * here, durably, until the part's carrier id is recorded.
 */
import type { SqlExecutor } from './sql.js';
import type { ReceiptEvent } from '../sms/connectors/connector.js';

export interface UnmatchedReceipt {
  id: number;
  event: ReceiptEvent;
  receivedAt: number;
}

interface Row {
  id: number;
  event: string;
  received_at: number;
}

const toReceipt = (row: Row): UnmatchedReceipt => ({ id: row.id, event: JSON.parse(row.event) as ReceiptEvent, receivedAt: row.received_at });

export class UnmatchedReceiptRepo {
  constructor(private readonly sql: SqlExecutor) {}

  async insert(event: ReceiptEvent, normalizedId: string, receivedAt: number): Promise<void> {
    await this.sql.run('INSERT INTO unmatched_receipts (connector_id, carrier_id, event, received_at) VALUES (?, ?, ?, ?)', [
      event.connectorId,
      normalizedId,
      JSON.stringify(event),
      receivedAt,
    ]);
  }

  async find(connectorId: string, normalizedIds: readonly string[]): Promise<UnmatchedReceipt[]> {
    const marks = normalizedIds.map(() => '?').join(', ');
    const rows = await this.sql.all<Row>(
      `SELECT id, event, received_at FROM unmatched_receipts WHERE connector_id = ? AND carrier_id IN (${marks}) ORDER BY id`,
      [connectorId, ...normalizedIds],
    );
    return rows.map(toReceipt);
  }

  /** Receipts after `afterId` that have waited since `before` or longer, oldest first. */
  async settled(afterId: number, before: number, limit: number): Promise<UnmatchedReceipt[]> {
    const rows = await this.sql.all<Row>('SELECT id, event, received_at FROM unmatched_receipts WHERE id > ? AND received_at <= ? ORDER BY id LIMIT ?', [
      afterId,
      before,
      limit,
    ]);
    return rows.map(toReceipt);
  }

  async delete(id: number): Promise<void> {
    await this.sql.run('DELETE FROM unmatched_receipts WHERE id = ?', [id]);
  }

  /** Drop receipts older than `cutoff`; returns how many were given up on. */
  async purgeOlderThan(cutoff: number): Promise<number> {
    return (await this.sql.run('DELETE FROM unmatched_receipts WHERE received_at < ?', [cutoff])).changes;
  }

  async count(): Promise<number> {
    return (await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM unmatched_receipts'))!.n;
  }
}
