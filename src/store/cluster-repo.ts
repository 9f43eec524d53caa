/**
 * The cluster's members (PostgreSQL only, table `cluster_nodes`): each node writes its heartbeat; a node
 * whose heartbeat is older than the lease is gone. Times come from the database's clock, so the nodes'
 * own clocks may differ.
 */
import type { SqlExecutor } from './sql.js';

/** The database's clock in epoch ms: every node compares heartbeats against the same clock. */
export const DB_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/** Nodes alive within `?` ms (a sub-select for claim queries; one parameter). */
export const ALIVE_NODES = `SELECT id FROM cluster_nodes WHERE heartbeat_at >= ${DB_NOW_MS} - ?`;

/**
 * The channel a node NOTIFYs on when it frees work for the others, in the transaction that frees it (PostgreSQL
 * delivers it at commit): `messages:<node>` when it hands messages over (no bind of its own can take them),
 * `left:<node>` when it leaves the cluster at a clean stop; `binds:<node>` to the node named when it asks that
 * node for a bind slot or hands one over to it (decision 0137), so that node looks at its slots at once rather than
 * at its next heartbeat; and `callbacks:<node>:<id>` to the node that holds an order key's callbacks when another
 * node stores one more under that key (webhook-repo.ts). Heard through src/store/postgres/listener.ts; a node
 * ignores what it does not know.
 */
export const CLUSTER_CHANNEL = 'telenode_cluster';

/**
 * The channel of the cluster in the connection's schema, as an SQL expression: CLUSTER_CHANNEL in the default schema
 * (`public`), `telenode_cluster.<schema>` in another (a URL with `options=-c search_path=<schema>`), so that two
 * clusters in one database, or a node and its warm-up copy (decision 0117), do not wake each other. NOTIFY channels
 * belong to the database, not to a schema. A name PostgreSQL would refuse (over 63 bytes) takes the schema's md5.
 */
export const CLUSTER_CHANNEL_SQL = `(CASE WHEN current_schema() = 'public' THEN '${CLUSTER_CHANNEL}'
  WHEN octet_length(current_schema()) <= 46 THEN '${CLUSTER_CHANNEL}.' || current_schema()
  ELSE '${CLUSTER_CHANNEL}.' || md5(current_schema()) END)`;

/** What a notification on the cluster's channel says was freed, and by which node. */
export function freedWork(payload: string): { work: 'messages' | 'left'; nodeId: string } | null {
  const colon = payload.indexOf(':');
  const work = payload.slice(0, colon);
  return colon > 0 && (work === 'messages' || work === 'left') ? { work, nodeId: payload.slice(colon + 1) } : null;
}

/** The node a `binds:<node>` notification on CLUSTER_CHANNEL is for, or null for any other notification. */
export function bindSlotsChangedFor(payload: string): string | null {
  return payload.startsWith('binds:') && payload.length > 'binds:'.length ? payload.slice('binds:'.length) : null;
}

/** The node and callback id a `callbacks:<node>:<id>` notification names, or null for any other notification. */
export function callbackHandedTo(payload: string): { nodeId: string; id: number } | null {
  if (!payload.startsWith('callbacks:')) return null;
  const colon = payload.lastIndexOf(':');
  const digits = payload.slice(colon + 1);
  // Digits only, as the database wrote them: `1e3` or ` 4` is no id of ours.
  const id = /^[1-9][0-9]{0,15}$/.test(digits) ? Number(digits) : NaN;
  return colon > 'callbacks:'.length && Number.isSafeInteger(id) ? { nodeId: payload.slice('callbacks:'.length, colon), id } : null;
}

export interface ClusterNodeRow {
  id: string;
  startedAt: number;
  /** Milliseconds since its last heartbeat, by the database's clock. */
  silentMs: number;
  http: string | null;
  /** The connectors that could send on that node at its last heartbeat. */
  connectorsUp: string[];
}

export class ClusterRepo {
  constructor(private readonly sql: SqlExecutor) {}

  async beat(nodeId: string, startedAt: number, http: string | null, connectorsUp: readonly string[]): Promise<void> {
    await this.sql.run(
      `INSERT INTO cluster_nodes (id, started_at, heartbeat_at, http, connectors_up) VALUES (?, ?, ${DB_NOW_MS}, ?, ?)
       ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, http = excluded.http,
         connectors_up = excluded.connectors_up`,
      [nodeId, startedAt, http, JSON.stringify(connectorsUp)],
    );
  }

  /** A clean stop: the node's claims are free at once instead of after the lease. */
  async leave(nodeId: string): Promise<void> {
    await this.sql.run('DELETE FROM cluster_nodes WHERE id = ?', [nodeId]);
    // Autocommit: the others hear it now, and claim what this node held without waiting for their sweeps.
    await this.sql.run(`SELECT pg_notify(${CLUSTER_CHANNEL_SQL}, ?)`, [`left:${nodeId}`]);
  }

  async nodes(): Promise<ClusterNodeRow[]> {
    const rows = await this.sql.all<{ id: string; started_at: number; silent_ms: number; http: string | null; connectors_up: string }>(
      `SELECT id, started_at, ${DB_NOW_MS} - heartbeat_at AS silent_ms, http, connectors_up FROM cluster_nodes ORDER BY id`,
    );
    return rows.map((r) => ({
      id: r.id,
      startedAt: r.started_at,
      silentMs: Number(r.silent_ms),
      http: r.http,
      connectorsUp: r.connectors_up ? (JSON.parse(r.connectors_up) as string[]) : [],
    }));
  }

  /**
   * The bind slots of a connector this node holds after taking free ones (unheld, or held by a node that is
   * gone) up to `want` in all; `slots` is the connector's `binds` for the whole cluster.
   */
  async holdBindSlots(connectorId: string, slots: number, nodeId: string, leaseMs: number, want: number): Promise<number[]> {
    await this.sql.run('INSERT INTO bind_slots (connector_id, slot) SELECT ?, generate_series(1, ?) ON CONFLICT DO NOTHING', [connectorId, slots]);
    await this.sql.run('DELETE FROM bind_slots WHERE connector_id = ? AND slot > ?', [connectorId, slots]);
    const held = await this.heldSlots(connectorId, nodeId);
    if (held.length < want) {
      await this.sql.run(
        `UPDATE bind_slots SET node_id = ? WHERE connector_id = ? AND slot IN (
           SELECT slot FROM bind_slots WHERE connector_id = ? AND (node_id IS NULL OR node_id NOT IN (${ALIVE_NODES}))
           ORDER BY slot LIMIT ? FOR UPDATE SKIP LOCKED)`,
        [nodeId, connectorId, connectorId, leaseMs, want - held.length],
      );
      return this.heldSlots(connectorId, nodeId);
    }
    return held;
  }

  /** Give bind slots back (this node holds more than its share, or is leaving). */
  async releaseBindSlots(connectorId: string, nodeId: string, slots: readonly number[]): Promise<void> {
    for (const slot of slots)
      await this.sql.run('UPDATE bind_slots SET node_id = NULL WHERE connector_id = ? AND slot = ? AND node_id = ?', [connectorId, slot, nodeId]);
  }

  /** A connector's bind slots: who holds each, and which node asked for it (a holder beyond its share hands it over). */
  async slotsOf(connectorId: string): Promise<Array<{ slot: number; nodeId: string | null; wantedBy: string | null }>> {
    const rows = await this.sql.all<{ slot: number; node_id: string | null; wanted_by: string | null }>(
      'SELECT slot, node_id, wanted_by FROM bind_slots WHERE connector_id = ? ORDER BY slot',
      [connectorId],
    );
    return rows.map((r) => ({ slot: r.slot, nodeId: r.node_id, wantedBy: r.wanted_by }));
  }

  /**
   * Ask `holder` for its bind `slot` (unless a live node asked first); true when this node's ask is on record. The
   * holder hears of it (`binds:<holder>`) and hands the slot over as soon as that bind's window is empty.
   */
  async askForBindSlot(connectorId: string, slot: number, holder: string, nodeId: string, leaseMs: number): Promise<boolean> {
    const { changes } = await this.sql.run(
      `WITH asked AS (
         UPDATE bind_slots SET wanted_by = ? WHERE connector_id = ? AND slot = ? AND node_id = ?
           AND (wanted_by IS NULL OR wanted_by NOT IN (${ALIVE_NODES})) RETURNING slot)
       SELECT pg_notify(${CLUSTER_CHANNEL_SQL}, ?) FROM asked`,
      [nodeId, connectorId, slot, holder, leaseMs, `binds:${holder}`],
    );
    return changes > 0;
  }

  /**
   * This node's bind `slot` to the node that asked for it, now that its bind here is unbound; that node hears of it
   * (`binds:<asker>`) and binds it at once.
   */
  async passBindSlot(connectorId: string, slot: number, nodeId: string): Promise<void> {
    await this.sql.run(
      `WITH passed AS (
         UPDATE bind_slots SET node_id = wanted_by, wanted_by = NULL
           WHERE connector_id = ? AND slot = ? AND node_id = ? AND wanted_by IS NOT NULL RETURNING node_id)
       SELECT pg_notify(${CLUSTER_CHANNEL_SQL}, 'binds:' || node_id) FROM passed`,
      [connectorId, slot, nodeId],
    );
  }

  /** Asks that no longer stand: this node's own (it has its share), and those on its slots (it holds no more than its share). */
  async withdrawBindAsks(connectorId: string, nodeId: string, asker: boolean, holder: boolean): Promise<void> {
    if (asker) await this.sql.run('UPDATE bind_slots SET wanted_by = NULL WHERE connector_id = ? AND wanted_by = ?', [connectorId, nodeId]);
    if (holder)
      await this.sql.run('UPDATE bind_slots SET wanted_by = NULL WHERE connector_id = ? AND node_id = ? AND wanted_by IS NOT NULL', [connectorId, nodeId]);
  }

  /** Who holds which bind slot, for /health. */
  async bindSlots(): Promise<Array<{ connectorId: string; slot: number; nodeId: string | null }>> {
    const rows = await this.sql.all<{ connector_id: string; slot: number; node_id: string | null }>('SELECT * FROM bind_slots ORDER BY connector_id, slot');
    return rows.map((r) => ({ connectorId: r.connector_id, slot: r.slot, nodeId: r.node_id }));
  }

  private async heldSlots(connectorId: string, nodeId: string): Promise<number[]> {
    return (
      await this.sql.all<{ slot: number }>('SELECT slot FROM bind_slots WHERE connector_id = ? AND node_id = ? ORDER BY slot', [connectorId, nodeId])
    ).map((r) => r.slot);
  }

  /** Work claimed by each node: unfinished messages and pending callbacks (for /health). */
  async claimCounts(): Promise<Map<string, { messages: number; callbacks: number }>> {
    const rows = await this.sql.all<{ node: string; messages: number; callbacks: number }>(
      `SELECT node, SUM(messages) AS messages, SUM(callbacks) AS callbacks FROM (
         SELECT claimed_by AS node, COUNT(*) AS messages, 0 AS callbacks FROM messages WHERE status = 'accepted' GROUP BY claimed_by
         UNION ALL
         SELECT claimed_by AS node, 0 AS messages, COUNT(*) AS callbacks FROM webhooks WHERE state = 'pending' GROUP BY claimed_by
       ) AS claims GROUP BY node`,
    );
    return new Map(rows.map((r) => [r.node ?? '(unclaimed)', { messages: Number(r.messages), callbacks: Number(r.callbacks) }]));
  }
}
