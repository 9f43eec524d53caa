/** Receipts waiting for their part, in memory (src/sms/receipts.ts UnmatchedReceiptStore). */
import type { UnmatchedReceiptStore } from '../../src/sms/receipts.js';
import type { ReceiptEvent } from '../../src/sms/connectors/connector.js';
import type { UnmatchedReceipt } from '../../src/store/unmatched-receipt-repo.js';

export class FakeUnmatchedReceipts implements UnmatchedReceiptStore {
  readonly rows: Array<UnmatchedReceipt & { normalizedId: string }> = [];
  private nextId = 1;

  async insert(event: ReceiptEvent, normalizedId: string, receivedAt: number): Promise<void> {
    this.rows.push({ id: this.nextId++, event, normalizedId, receivedAt });
  }

  async find(connectorId: string, normalizedIds: readonly string[]): Promise<UnmatchedReceipt[]> {
    return this.rows.filter((r) => r.event.connectorId === connectorId && normalizedIds.includes(r.normalizedId));
  }

  async settled(afterId: number, before: number, limit: number): Promise<UnmatchedReceipt[]> {
    return this.rows.filter((r) => r.id > afterId && r.receivedAt <= before).slice(0, limit);
  }

  async delete(id: number): Promise<void> {
    const index = this.rows.findIndex((r) => r.id === id);
    if (index >= 0) this.rows.splice(index, 1);
  }

  async purgeOlderThan(cutoff: number): Promise<number> {
    const before = this.rows.length;
    for (let i = this.rows.length - 1; i >= 0; i--) if (this.rows[i]!.receivedAt < cutoff) this.rows.splice(i, 1);
    return before - this.rows.length;
  }

  async count(): Promise<number> {
    return this.rows.length;
  }
}
