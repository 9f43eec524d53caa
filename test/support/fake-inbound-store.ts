/**
 * Inbound's store in memory (src/sms/inbound.ts InboundStore): fragments
 * keyed by group and sequence number (a repeated part replaces the stored
 * one, as INSERT OR REPLACE does), siblings in sequence order, delivered
 * messages and the groups remembered as completed.
 */
import type { InboundStore } from '../../src/sms/inbound.js';
import type { InboundMessage, StoredFragment } from '../../src/store/inbound-repo.js';

type GroupKey = Pick<StoredFragment, 'connectorId' | 'sender' | 'recipient' | 'reference' | 'total'>;
const keyOf = (k: GroupKey) => [k.connectorId, k.sender, k.recipient, k.reference, k.total].join('|');

export class FakeInboundStore implements InboundStore {
  readonly messages: InboundMessage[] = [];
  readonly fragments = new Map<string, Map<number, StoredFragment>>();
  readonly completed = new Map<string, number>();

  async lockGroup(): Promise<void> {}

  async insertMessage(message: InboundMessage): Promise<void> {
    this.messages.push(message);
  }

  async insertFragment(fragment: StoredFragment): Promise<void> {
    const key = keyOf(fragment);
    if (!this.fragments.has(key)) this.fragments.set(key, new Map());
    this.fragments.get(key)!.set(fragment.seq, fragment);
  }

  async siblings(key: GroupKey): Promise<StoredFragment[]> {
    return [...(this.fragments.get(keyOf(key))?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  async deleteSiblings(key: GroupKey): Promise<void> {
    this.fragments.delete(keyOf(key));
  }

  async oldestStale(cutoff: number): Promise<StoredFragment | undefined> {
    return [...this.fragments.values()]
      .flatMap((g) => [...g.values()])
      .filter((f) => f.receivedAt < cutoff)
      .sort((a, b) => a.receivedAt - b.receivedAt)[0];
  }

  async rememberCompleted(key: GroupKey, completedAt: number): Promise<void> {
    this.completed.set(keyOf(key), completedAt);
  }

  async completedSince(key: GroupKey, since: number): Promise<boolean> {
    const at = this.completed.get(keyOf(key));
    return at !== undefined && at >= since;
  }

  async forgetCompletedBefore(cutoff: number): Promise<number> {
    let forgotten = 0;
    for (const [key, at] of this.completed) if (at < cutoff && this.completed.delete(key)) forgotten++;
    return forgotten;
  }
}
