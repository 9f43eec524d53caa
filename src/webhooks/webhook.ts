/** A stored callback (table `webhooks`, migration 1): one row per outbound HTTP notification. */

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
  /** Every attempt and its answer, oldest first (absent where the store keeps none). */
  attemptLog?: WebhookAttempt[];
}

/** One delivery attempt as the console shows it: when, the HTTP status (null: no answer) and the error. */
export interface WebhookAttempt {
  at: number;
  attempt: number;
  status: number | null;
  error: string | null;
}

/** Where a change stores the callbacks it causes, inside its own transaction. */
export type CallbackOutbox = Pick<WebhookStore, 'insert'>;

/** What the callback outbox needs of the store (store/webhook-repo.ts implements it). */
export interface WebhookStore {
  insert(request: WebhookRequest, now: number): Promise<number>;
  /**
   * Pending rows with an id above `afterId`, oldest first; on PostgreSQL also those this process stored at or below
   * it that committed after a higher id was read (store/unread-callback-ids.ts), each returned once.
   */
  pendingAfter(afterId: number): Promise<WebhookRow[]>;
  /** Ids of pending callbacks (of one node's, in a cluster). */
  pendingIds(claimedBy?: string): Promise<number[]>;
  byId(id: number): Promise<WebhookRow | undefined>;
  delivered(id: number, attempts: number, at: number, status: number | null): Promise<void>;
  failed(id: number, attempts: number, nextAttemptAt: number, status: number | null, error: string | null, at: number): Promise<void>;
  dead(id: number, attempts: number, status: number | null, error: string | null, at: number): Promise<void>;
  listDead(limit: number): Promise<WebhookRow[]>;
  /**
   * Several nodes (PostgreSQL): pending callbacks this node holds with an id above `afterId` (and late ones, as
   * `pendingAfter`), and callbacks no live node holds, claimed whole order keys at a time so one node keeps each
   * key's order.
   */
  pendingOf(nodeId: string, afterId: number): Promise<WebhookRow[]>;
  claimOrphans(nodeId: string, leaseMs: number, limit: number): Promise<WebhookRow[]>;
  /** Several nodes (PostgreSQL): those of `ids` that are pending and held by `nodeId`, oldest first. */
  heldPending(nodeId: string, ids: readonly number[]): Promise<WebhookRow[]>;
  /** Dead letters back to pending (all, these ids, or those for one URL), age restarted; returns how many. */
  replayDead(selection: { ids?: readonly number[]; all?: boolean; url?: string }, now: number): Promise<number>;
}

export interface WebhookRequest {
  /** Callbacks with the same key are delivered one at a time, oldest first. */
  orderKey: string;
  kind: string;
  url: string;
  method?: 'POST' | 'GET';
  contentType: string;
  headers?: Record<string, string>;
  body: string;
  /** The API user whose request chose `url`: their `egress.allow` applies as well as the node's. */
  owner?: string;
}
