/**
 * Status steps as they happen on this node, for whoever watches (the operator console's live page). Publishing
 * costs a size check when nobody listens, so the hot path pays nothing for a console nobody has open.
 * Listeners run inside the status change's transaction: they must only take note, never throw or wait.
 */
import type { MessageStatus, StoredMessage } from './message.js';

export interface StatusStep {
  id: string;
  status: MessageStatus;
  previous: MessageStatus;
  user: string;
  at: number;
}

export class StatusFeed {
  private readonly listeners = new Set<(step: StatusStep) => void>();

  subscribe(listener: (step: StatusStep) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(message: StoredMessage, previous: MessageStatus): void {
    if (this.listeners.size === 0) return;
    const step: StatusStep = { id: message.id, status: message.status, previous, user: message.user, at: message.updatedAt };
    for (const listener of this.listeners) listener(step);
  }
}
