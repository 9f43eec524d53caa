/**
 * Status steps as they happen on this node, for whoever watches (the operator console's chart and live page).
 * Listeners get the message itself, not a copy: the hot path allocates nothing for them.
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

/** Called with the message as stored after the step; it must not keep or change it. */
export type StatusListener = (message: Readonly<StoredMessage>, previous: MessageStatus) => void;

export class StatusFeed {
  private readonly listeners = new Set<StatusListener>();

  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(message: StoredMessage, previous: MessageStatus): void {
    for (const listener of this.listeners) listener(message, previous);
  }
}

/** A step as the console's live channel sends it. */
export function stepOf(message: Readonly<StoredMessage>, previous: MessageStatus): StatusStep {
  return { id: message.id, status: message.status, previous, user: message.user, at: message.updatedAt };
}
