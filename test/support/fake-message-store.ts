/**
 * The message store in memory, for unit tests of the SMS core (the ports of
 * StatusWriter, the outbox and receipts): messages and parts in maps, copies
 * in and out so a test sees only what was written.
 */
import type { MessageStatusStore } from '../../src/sms/status-writer.js';
import type { OutboxStore } from '../../src/sms/outbox.js';
import type { ReceiptPartStore } from '../../src/sms/receipts.js';
import { normalizeCarrierId } from '../../src/sms/carrier-id.js';
import { MessageStatus, type MessagePart } from '../../src/sms/message.js';
import { storedMessage } from './stored-message.js';
import type { StoredMessage } from '../../src/sms/message.js';
import type { ScheduleCursor } from '../../src/store/message-repo.js';

export class FakeMessageStore implements MessageStatusStore, OutboxStore, ReceiptPartStore {
  readonly messages = new Map<string, StoredMessage>();
  readonly partsByMessage = new Map<string, Map<number, MessagePart>>();
  updates = 0;

  async get(id: string): Promise<StoredMessage | undefined> {
    const message = this.messages.get(id);
    return message ? { ...message } : undefined;
  }

  async getForUpdate(id: string): Promise<StoredMessage | undefined> {
    return this.get(id);
  }

  async parts(messageId: string): Promise<MessagePart[]> {
    return [...(this.partsByMessage.get(messageId)?.values() ?? [])].sort((a, b) => a.partNo - b.partNo).map((p) => ({ ...p }));
  }

  async savePart(part: MessagePart, _carrierIdNorm: string | null): Promise<void> {
    const stored = { ...part };
    let parts = this.partsByMessage.get(part.messageId);
    if (!parts) this.partsByMessage.set(part.messageId, (parts = new Map()));
    parts.set(part.partNo, stored);
  }

  async updatePartStatus(part: MessagePart): Promise<boolean> {
    const stored = this.partsByMessage.get(part.messageId)?.get(part.partNo);
    if (!stored) return false;
    Object.assign(stored, {
      status: part.status,
      carrierStatus: part.carrierStatus,
      carrierError: part.carrierError,
      submittedAt: part.submittedAt,
      doneAt: part.doneAt,
    });
    return true;
  }

  async update(message: StoredMessage): Promise<void> {
    this.updates++;
    this.messages.set(message.id, { ...message, version: (this.messages.get(message.id)?.version ?? 0) + 1 });
  }

  async updateIfUnchanged(message: StoredMessage & { version: number }): Promise<boolean> {
    if (this.messages.get(message.id)?.version !== message.version) return false;
    this.updates++;
    message.version++;
    this.messages.set(message.id, { ...message });
    return true;
  }

  async replaceWaiting(message: StoredMessage): Promise<boolean> {
    const stored = this.messages.get(message.id);
    if (stored?.status !== MessageStatus.Accepted) return false;
    this.messages.set(message.id, { ...message, version: (stored.version ?? 0) + 1 });
    return true;
  }

  async findPartsByCarrierId(connectorId: string, norms: readonly string[]): Promise<MessagePart[]> {
    return [...this.partsByMessage.values()]
      .flatMap((parts) => [...parts.values()])
      .filter((p) => p.connectorId === connectorId && p.carrierId !== null && norms.includes(normalizeCarrierId(p.carrierId)))
      .map((p) => ({ ...p }));
  }

  async insert(message: StoredMessage): Promise<void> {
    this.messages.set(message.id, { ...message, version: 0 });
  }

  async listPending(sendBy?: number): Promise<StoredMessage[]> {
    return [...this.messages.values()]
      .filter((m) => m.status === MessageStatus.Accepted && (sendBy === undefined || (m.sendAt ?? 0) <= sendBy))
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt)
      .map((m) => ({ ...m }));
  }

  async claimDue(nodeId: string, _leaseMs: number, now: number, limit: number, _ownBefore: number | null): Promise<StoredMessage[]> {
    const due = (await this.listPending()).filter((m) => m.nextAttemptAt <= now && !m.claimedBy).slice(0, limit);
    for (const m of due) this.messages.set(m.id, { ...m, claimedBy: nodeId });
    return due.map((m) => ({ ...m, claimedBy: nodeId }));
  }

  async release(id: string): Promise<void> {
    const m = this.messages.get(id);
    if (m) this.messages.set(id, { ...m, claimedBy: null });
  }

  async listPendingSince(cutoff: number): Promise<StoredMessage[]> {
    return (await this.listPending()).filter((m) => (m.sendAt ?? m.createdAt) < cutoff);
  }

  scheduledReads = 0;

  async listScheduled(after: ScheduleCursor, until: number, _claimedBy: string | null, limit: number): Promise<StoredMessage[]> {
    this.scheduledReads++;
    const later = (m: StoredMessage) => m.sendAt! > after.at || (after.id !== undefined && m.sendAt === after.at && m.id > after.id);
    return (await this.listPending())
      .filter((m) => typeof m.sendAt === 'number' && later(m) && m.sendAt <= until)
      .sort((a, b) => a.sendAt! - b.sendAt! || (a.id < b.id ? -1 : 1))
      .slice(0, limit);
  }

  /** A message as the outbox accepts it, with overrides. */
  add(overrides: Partial<StoredMessage> = {}): StoredMessage {
    const message = storedMessage({ id: `m${this.messages.size + 1}`, version: 0, ...overrides });
    this.messages.set(message.id, { ...message });
    return message;
  }
}
