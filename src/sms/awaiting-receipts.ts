/**
 * One-part messages this node submitted and whose receipt has not come yet,
 * as this node last wrote them: a receipt for one of them is written against
 * the message and part held here, only if the row is still at the version
 * held (StatusWriter.writeIfUnchanged), without reading the part by its
 * carrier id and the message again — two of the nine statements a message
 * with a receipt cost (decision 0114).
 *
 * A hint, never the truth: an entry is taken only for a carrier id exactly
 * as the store would be asked for it, a write that finds the row changed
 * falls back to the store's lookup, and entries are dropped when their
 * connector goes down (a later bind may be another session, whose carrier
 * ids can repeat) and, oldest first, beyond `capacity`. Only on a node that
 * has the store to itself: in a cluster another node may submit on the same
 * connector, so the store is the only place that knows every part of an id.
 */
import type { MessagePart, StoredMessage } from './message.js';

export interface AwaitingPart {
  message: StoredMessage;
  part: MessagePart;
}

/** About 0.5 KiB each: a few MiB at most, and more in flight than a window of 100 at thousands a second needs. */
const DEFAULT_CAPACITY = 4096;

export class AwaitingReceipts {
  /** `connectorId \n carrier id as stored (carrier_id_norm)` → the part; Map order is insertion order, oldest first. */
  private readonly parts = new Map<string, AwaitingPart>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /**
   * In the transaction that stores the part's carrier id (on a serial committer) or after its commit. The newest part
   * for an id replaces an older one (ids recycle).
   */
  remember(connectorId: string, carrierIdNorm: string, entry: AwaitingPart): void {
    const key = keyOf(connectorId, carrierIdNorm);
    this.parts.delete(key);
    this.parts.set(key, entry);
    if (this.parts.size > this.capacity) this.parts.delete(this.parts.keys().next().value!);
  }

  /** The part held for this id, removed: a second receipt for it goes to the store. */
  take(connectorId: string, carrierIdNorm: string): AwaitingPart | undefined {
    const key = keyOf(connectorId, carrierIdNorm);
    const entry = this.parts.get(key);
    if (entry) this.parts.delete(key);
    return entry;
  }

  /** The transaction that stored this entry was rolled back: drop it, unless a newer part has replaced it. */
  forget(connectorId: string, carrierIdNorm: string, message: StoredMessage): void {
    const key = keyOf(connectorId, carrierIdNorm);
    if (this.parts.get(key)?.message === message) this.parts.delete(key);
  }

  /** The connector's binds are gone: what comes after may be another session, with ids of its own. */
  forgetConnector(connectorId: string): void {
    const prefix = `${connectorId}\n`;
    for (const key of this.parts.keys()) if (key.startsWith(prefix)) this.parts.delete(key);
  }
}

function keyOf(connectorId: string, carrierIdNorm: string): string {
  return `${connectorId}\n${carrierIdNorm}`;
}
