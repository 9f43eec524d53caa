/** SQL for the `webhooks` table (migration 1): the callback outbox (src/webhooks/). */
import type { WebhookAttempt, WebhookRequest, WebhookRow, WebhookState, WebhookStore } from '../webhooks/webhook.js';
import { ALIVE_NODES, CLUSTER_CHANNEL_SQL } from './cluster-repo.js';
import type { SqlExecutor } from './sql.js';
import { jsonLines, parseJsonLines } from '../shared/json-lines.js';
import { UnreadCallbackIds } from './unread-callback-ids.js';
import { InsertedCallbacks } from './inserted-callbacks.js';

/** New pending callbacks, in id order: above the last id read, or (PostgreSQL) also those ids read late. */
const PENDING_ABOVE = "SELECT * FROM webhooks WHERE state = 'pending' AND id > ? ORDER BY id";
const PENDING_ABOVE_OR_LATE = "SELECT * FROM webhooks WHERE state = 'pending' AND (id > ? OR id = ANY(?)) ORDER BY id";
/** SQLite: the new pending rows' ids and what tells a row apart; the rows this process inserted come from memory. */
const PENDING_IDS_ABOVE = "SELECT id, order_key, created_at FROM webhooks WHERE state = 'pending' AND id > ? ORDER BY id";
/** The same of the callbacks one node holds (a cluster). */
const HELD_ABOVE = "SELECT * FROM webhooks WHERE state = 'pending' AND claimed_by = ? AND id > ? ORDER BY id";
const HELD_ABOVE_OR_LATE = "SELECT * FROM webhooks WHERE state = 'pending' AND claimed_by = ? AND (id > ? OR id = ANY(?)) ORDER BY id";

/** One per store (every WebhookRepo on an executor inserts and reads through the same one). */
const unreadByExecutor = new WeakMap<SqlExecutor, UnreadCallbackIds>();
const insertedByExecutor = new WeakMap<SqlExecutor, InsertedCallbacks>();

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
  attempt_log?: string;
}

function toWebhookRow(row: Row): WebhookRow {
  return {
    id: Number(row.id),
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
    attemptLog: parseJsonLines<WebhookAttempt>(row.attempt_log ?? ''),
  };
}

export class WebhookRepo implements WebhookStore {
  /** `nodeId`: in a cluster, callbacks this node stores are its to send (null on a single node). */
  /** Built once (the executor caches a statement per SQL text). */
  private readonly insertSql: string;
  /** PostgreSQL: ids inserted and not read back yet (unread-callback-ids.ts); null on SQLite. */
  private readonly unread: UnreadCallbackIds | null;
  /** SQLite: the rows inserted and not read back yet (inserted-callbacks.ts); null on PostgreSQL. */
  private readonly inserted: InsertedCallbacks | null;
  /** A node of a cluster: the insert returns who holds the row, and tells that node when it is another. */
  private readonly tellsHolder: boolean;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly nodeId: string | null = null,
  ) {
    let unread = unreadByExecutor.get(sql) ?? null;
    if (!unread && sql.dialect === 'postgres') unreadByExecutor.set(sql, (unread = new UnreadCallbackIds()));
    this.unread = unread;
    let inserted = insertedByExecutor.get(sql) ?? null;
    if (!inserted && sql.dialect === 'sqlite') insertedByExecutor.set(sql, (inserted = new InsertedCallbacks()));
    this.inserted = inserted;
    const claim = nodeId === null ? 'NULL' : "COALESCE((SELECT claimed_by FROM webhooks WHERE order_key = ? AND state = 'pending' ORDER BY id LIMIT 1), ?)";
    const insert = `INSERT INTO webhooks (order_key, kind, url, method, content_type, headers, body, state, attempts, next_attempt_at, created_at, owner, claimed_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ${claim})`;
    this.tellsHolder = nodeId !== null && sql.dialect === 'postgres';
    // The holder reads new rows above the highest id it has read; this row's id may be below it by the time this
    // transaction commits, and it would wait for the holder's sweep (webhooks.sweepSeconds). Told the id, the holder
    // reads it at once (PostgreSQL delivers the notification at commit).
    this.insertSql = this.tellsHolder
      ? `WITH stored AS (${insert} RETURNING id, claimed_by)
         SELECT id, claimed_by, CASE WHEN claimed_by <> ? THEN pg_notify(${CLUSTER_CHANNEL_SQL}, 'callbacks:' || claimed_by || ':' || id) END AS told
         FROM stored`
      : insert;
  }

  /**
   * In a cluster a callback goes to the node that already holds its order key's pending callbacks (so
   * the key's order holds), else to this node.
   */
  async insert(request: WebhookRequest, now: number): Promise<number> {
    const method = request.method ?? 'POST';
    const headers = JSON.stringify(request.headers ?? {});
    const params = [
      request.orderKey,
      request.kind,
      request.url,
      method,
      request.contentType,
      headers,
      request.body,
      now,
      now,
      request.owner ?? null,
      ...(this.nodeId === null ? [] : [request.orderKey, this.nodeId]),
    ];
    let id: number;
    if (this.tellsHolder) {
      const stored = (await this.sql.all<{ id: number; claimed_by: string }>(this.insertSql, [...params, this.nodeId]))[0]!;
      id = Number(stored.id);
      // Another node's to send: this node's reader will never see it.
      if (stored.claimed_by === this.nodeId) this.unread?.inserted(id);
    } else {
      id = await this.sql.insert(this.insertSql, params);
      this.unread?.inserted(id);
    }
    // As toWebhookRow would read it back.
    this.inserted?.put({
      id,
      orderKey: request.orderKey,
      kind: request.kind,
      url: request.url,
      method,
      contentType: request.contentType,
      headers: { ...request.headers },
      body: request.body,
      state: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      deliveredAt: null,
      lastStatus: null,
      lastError: null,
      owner: request.owner ?? null,
      attemptLog: [],
    });
    return id;
  }

  async pendingOf(nodeId: string, afterId: number): Promise<WebhookRow[]> {
    return this.pendingNew(HELD_ABOVE, HELD_ABOVE_OR_LATE, [nodeId], afterId);
  }

  async claimOrphans(nodeId: string, leaseMs: number, limit: number): Promise<WebhookRow[]> {
    const skipLocked = this.sql.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const rows = await this.sql.all<Row>(
      `UPDATE webhooks SET claimed_by = ? WHERE state = 'pending' AND order_key IN (
         SELECT order_key FROM webhooks WHERE state = 'pending' AND (claimed_by IS NULL OR claimed_by NOT IN (${ALIVE_NODES}))
         ORDER BY id LIMIT ?${skipLocked})
       RETURNING *`,
      [nodeId, leaseMs, limit],
    );
    return rows.map(toWebhookRow).sort((a, b) => a.id - b.id);
  }

  async pendingAfter(afterId: number): Promise<WebhookRow[]> {
    if (this.inserted) return this.pendingInsertedAfter(this.inserted, afterId);
    return this.pendingNew(PENDING_ABOVE, PENDING_ABOVE_OR_LATE, [], afterId);
  }

  /** SQLite: pending rows above `afterId`, those this process inserted from memory, the others read whole. */
  private async pendingInsertedAfter(inserted: InsertedCallbacks, afterId: number): Promise<WebhookRow[]> {
    const keys = await this.sql.all<{ id: number; order_key: string; created_at: number }>(PENDING_IDS_ABOVE, [afterId]);
    const rows: WebhookRow[] = [];
    for (const key of keys) {
      const id = Number(key.id);
      const row = inserted.take(id, key.order_key, key.created_at) ?? (await this.byId(id));
      if (row) rows.push(row);
    }
    inserted.readUpTo(keys.length === 0 ? afterId : Number(keys[keys.length - 1]!.id));
    return rows;
  }

  /**
   * Pending rows above `afterId`; on PostgreSQL also those this process inserted at or below it and has not read
   * yet (committed after a higher id was read, see unread-callback-ids.ts), which the reader has never seen.
   */
  private async pendingNew(above: string, aboveOrLate: string, params: unknown[], afterId: number): Promise<WebhookRow[]> {
    const late = this.unread?.atOrBelow(afterId) ?? [];
    const rows = late.length === 0 ? await this.sql.all<Row>(above, [...params, afterId]) : await this.sql.all<Row>(aboveOrLate, [...params, afterId, late]);
    return rows.map((row) => {
      const webhook = toWebhookRow(row);
      this.unread?.read(webhook.id);
      return webhook;
    });
  }

  async pendingIds(claimedBy?: string): Promise<number[]> {
    const rows =
      claimedBy === undefined
        ? await this.sql.all<{ id: number }>("SELECT id FROM webhooks WHERE state = 'pending'")
        : await this.sql.all<{ id: number }>("SELECT id FROM webhooks WHERE state = 'pending' AND claimed_by = ?", [claimedBy]);
    return rows.map((r) => Number(r.id));
  }

  /** Those of `ids` that are pending and held by `nodeId` (another node stored them under its order keys). */
  async heldPending(nodeId: string, ids: readonly number[]): Promise<WebhookRow[]> {
    const rows = await this.sql.all<Row>("SELECT * FROM webhooks WHERE state = 'pending' AND claimed_by = ? AND id = ANY(?) ORDER BY id", [nodeId, [...ids]]);
    return rows.map(toWebhookRow);
  }

  async byId(id: number): Promise<WebhookRow | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM webhooks WHERE id = ?', [id]);
    return row ? toWebhookRow(row) : undefined;
  }

  async delivered(id: number, attempts: number, at: number, status: number | null): Promise<void> {
    await this.sql.run(
      "UPDATE webhooks SET state = 'delivered', attempts = ?, delivered_at = ?, last_status = ?, last_error = NULL, attempt_log = attempt_log || ? WHERE id = ?",
      [attempts, at, status, jsonLines([{ at, attempt: attempts, status, error: null }]), id],
    );
  }

  async failed(id: number, attempts: number, nextAttemptAt: number, status: number | null, error: string | null, at: number): Promise<void> {
    await this.sql.run('UPDATE webhooks SET attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ?, attempt_log = attempt_log || ? WHERE id = ?', [
      attempts,
      nextAttemptAt,
      status,
      error,
      jsonLines([{ at, attempt: attempts, status, error }]),
      id,
    ]);
  }

  async dead(id: number, attempts: number, status: number | null, error: string | null, at: number): Promise<void> {
    await this.sql.run("UPDATE webhooks SET state = 'dead', attempts = ?, last_status = ?, last_error = ?, attempt_log = attempt_log || ? WHERE id = ?", [
      attempts,
      status,
      error,
      jsonLines([{ at, attempt: attempts, status, error }]),
      id,
    ]);
  }

  /** The callbacks a message caused (their order key is the message's id), oldest first. */
  async ofOrderKey(orderKey: string): Promise<WebhookRow[]> {
    return (await this.sql.all<Row>('SELECT * FROM webhooks WHERE order_key = ? ORDER BY id', [orderKey])).map(toWebhookRow);
  }

  /**
   * Pending callbacks that failed at least once, by URL: the console's failing destinations.
   */
  async failingByUrl(): Promise<{ url: string; pending: number; oldestAt: number; lastStatus: number | null; lastError: string | null }[]> {
    const rows = await this.sql.all<{ url: string; pending: number; oldest_at: number; last_status: number | null; last_error: string | null }>(
      `SELECT url, COUNT(*) AS pending, MIN(created_at) AS oldest_at, MAX(last_status) AS last_status, MAX(last_error) AS last_error
         FROM webhooks WHERE state = 'pending' AND attempts > 0 GROUP BY url ORDER BY MIN(created_at)`,
    );
    return rows.map((r) => ({ url: r.url, pending: Number(r.pending), oldestAt: Number(r.oldest_at), lastStatus: r.last_status, lastError: r.last_error }));
  }

  /** How many callbacks are dead letters. */
  async countDead(): Promise<number> {
    return Number((await this.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM webhooks WHERE state = 'dead'"))!.n);
  }

  async listDead(limit: number): Promise<WebhookRow[]> {
    return (await this.sql.all<Row>("SELECT * FROM webhooks WHERE state = 'dead' ORDER BY id LIMIT ?", [limit])).map(toWebhookRow);
  }

  async replayDead(selection: { ids?: readonly number[]; all?: boolean; url?: string }, now: number): Promise<number> {
    if (selection.url !== undefined) {
      return (
        await this.sql.run("UPDATE webhooks SET state = 'pending', next_attempt_at = ?, created_at = ?, claimed_by = NULL WHERE state = 'dead' AND url = ?", [
          now,
          now,
          selection.url,
        ])
      ).changes;
    }
    if (selection.all) {
      return (
        await this.sql.run("UPDATE webhooks SET state = 'pending', next_attempt_at = ?, created_at = ?, claimed_by = NULL WHERE state = 'dead'", [now, now])
      ).changes;
    }
    let changed = 0;
    for (const id of selection.ids ?? []) {
      changed += (
        await this.sql.run("UPDATE webhooks SET state = 'pending', next_attempt_at = ?, created_at = ?, claimed_by = NULL WHERE state = 'dead' AND id = ?", [
          now,
          now,
          id,
        ])
      ).changes;
    }
    return changed;
  }
}
