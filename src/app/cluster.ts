/**
 * This node's membership in a cluster of nodes on one PostgreSQL (issue 17, decision 0105): it writes a
 * heartbeat every quarter of the lease; a node whose heartbeat is older than the lease is gone and what it
 * claimed (unfinished messages, pending callbacks) is taken over by the others. A node that cannot write its
 * heartbeat for three quarters of the lease stops starting work, since the others may be taking it over.
 * Heartbeats and bind holding run on a connection of their own: behind a busy pool's queue a live node's
 * heartbeat came late, the others took its callbacks, and both sent them (273 of 10,000 twice on a loaded run).
 */
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../shared/log.js';
import { FORWARDED_HEADER } from '../api/ozeki/call-peers.js';
import type { ClusterView } from '../shared/cluster-view.js';
import { SerialTask } from '../shared/serial-task.js';
import { ClusterRepo, bindSlotsChangedFor, callbackHandedTo, freedWork, type ClusterNodeRow } from '../store/cluster-repo.js';
import type { PgListener } from '../store/postgres/listener.js';
import type { SqlExecutor } from '../store/sql.js';

/** A connector whose binds the cluster shares: bind n is slot n, held by one live node (SmppConnector). */
export interface SharedBindConnector {
  readonly id: string;
  readonly slotCount: number;
  holdSlots(slots: ReadonlySet<number>): Promise<void>;
  /** Unbind `slot` once the parts on its wire are answered; resolves when it is unbound. */
  handOverSlot(slot: number): Promise<void>;
}

export class ClusterMembership implements ClusterView {
  private readonly repo: ClusterRepo;
  /** On the heartbeat's own connection (beat and bind slots); `repo` serves the views. */
  private readonly beatRepo: ClusterRepo;
  private readonly startedAt = Date.now();
  private lastBeatAt = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Heartbeats, one at a time: every quarter of the lease, and at once when a bind slot is asked of or handed to this node. */
  private readonly beats = new SerialTask(() => this.beatOrLog());
  private stopping = false;
  private lostLogged = false;
  private shared: readonly SharedBindConnector[] = [];
  private readonly heldSlots = new Map<string, string>();
  /** Bind slots being handed to the node that asked for them ('connector#slot'): held here until their bind is unbound. */
  private readonly handingOver = new Map<string, Promise<void>>();
  private connectorsUp: () => string[] = () => [];
  /** Connectors other live nodes had up at their last heartbeat, as of this node's last heartbeat. */
  private upOnOthers = new Set<string>();

  constructor(
    sql: SqlExecutor,
    readonly nodeId: string,
    readonly leaseMs: number,
    private readonly log: Logger,
    private http: string | null = null,
    /** The heartbeat's own connection; default: `sql`. */
    beatSql: SqlExecutor = sql,
    /** Hears the other nodes free work (CLUSTER_CHANNEL); without it, only the sweeps find it. */
    private readonly listener: PgListener | null = null,
  ) {
    this.repo = new ClusterRepo(sql);
    this.beatRepo = new ClusterRepo(beatSql);
  }

  onWorkFreed(handler: (work: 'messages' | 'all') => void): void {
    this.listener?.onNotify((payload) => {
      // A (re)connection: what was said while nobody listened is lost, so look for everything.
      if (payload === null) return handler('all');
      const freed = freedWork(payload);
      // Our own hand-overs are for the others: a node that could take them would not have handed them over.
      if (freed && freed.nodeId !== this.nodeId) handler(freed.work === 'messages' ? 'messages' : 'all');
    });
  }

  onCallbackHandedOver(handler: (id: number) => void): void {
    this.listener?.onNotify((payload) => {
      const handed = payload === null ? null : callbackHandedTo(payload);
      if (handed?.nodeId === this.nodeId) handler(handed.id);
    });
  }

  isMember(): boolean {
    return Date.now() - this.lastBeatAt < this.leaseMs * 0.75;
  }

  upElsewhere(connectorId: string): boolean {
    return this.isMember() && this.upOnOthers.has(connectorId);
  }

  /**
   * Which of this node's connectors can send now: written with every heartbeat, so the other nodes hand a
   * message to this one when the route prefers a connector only this node has up (issue 17: binds this node
   * holds, modems plugged into this machine).
   */
  reportConnectors(connectorsUp: () => string[]): void {
    this.connectorsUp = connectorsUp;
  }

  /** The first heartbeat must be written: a node that cannot reach the database does not start. */
  async start(): Promise<void> {
    await this.beat();
    // A slot asked of this node or handed to it, a node that left (its slots are free; the share grew), or a
    // reconnection (such news may have been missed): look at the slots now, not at the next heartbeat.
    this.listener?.onNotify((payload) => {
      if (payload === null || bindSlotsChangedFor(payload) === this.nodeId || freedWork(payload)?.work === 'left') this.beats.request();
    });
    await this.listener?.start();
    this.timer = setInterval(() => this.beats.request(), Math.max(250, Math.floor(this.leaseMs / 4)));
    this.timer.unref();
  }

  /**
   * Binds are the cluster's: at every heartbeat this node takes free bind slots (unheld, or a gone node's) up
   * to its share (the connector's binds divided among the live nodes, rounded up) and runs exactly the binds it
   * holds; without a current heartbeat it runs none, since the others may be taking its slots.
   */
  shareBinds(connectors: readonly SharedBindConnector[]): void {
    this.shared = connectors;
  }

  /**
   * /metrics: the nodes alive, the bind slots this node holds, and the unfinished messages and pending callbacks
   * each node holds (the cluster's backlog), read from the database when scraped.
   */
  registerMetrics(registry: Registry): void {
    const view = () => this.view();
    const self = this.nodeId;
    new Gauge({
      name: 'telenode_cluster_nodes_alive',
      help: 'Nodes whose heartbeat is within the lease',
      registers: [registry],
      async collect() {
        this.set((await view()).nodes.filter((n) => n.alive).length);
      },
    });
    new Gauge({
      name: 'telenode_cluster_binds_held',
      help: 'Carrier bind slots this node holds, by connector',
      labelNames: ['connector'],
      registers: [registry],
      async collect() {
        const { binds } = await view();
        this.reset();
        for (const id of new Set(binds.map((b) => b.connectorId)))
          this.set({ connector: id }, binds.filter((b) => b.connectorId === id && b.nodeId === self).length);
      },
    });
    new Gauge({
      name: 'telenode_cluster_claimed',
      help: 'Unfinished messages and pending callbacks each node holds',
      labelNames: ['node', 'kind'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const n of (await view()).nodes) {
          this.set({ node: n.id, kind: 'messages' }, n.messages);
          this.set({ node: n.id, kind: 'callbacks' }, n.callbacks);
        }
      },
    });
  }

  /**
   * The same Ozeki API request on every other live node (call commands about calls they run), with the
   * forwarded mark so they do not ask on; the answers that came within five seconds.
   */
  async askPeers(query: URLSearchParams): Promise<string[]> {
    const peers = (await this.repo.nodes()).filter((n) => n.id !== this.nodeId && n.silentMs <= this.leaseMs && n.http);
    const answers = await Promise.allSettled(
      peers.map(async (peer) => {
        const response = await fetch(`${peer.http}/api?${query.toString()}`, { headers: { [FORWARDED_HEADER]: '1' }, signal: AbortSignal.timeout(5000) });
        return response.text();
      }),
    );
    return answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  }

  /** The HTTP address others reach this node at, once it listens. */
  setHttp(address: string): void {
    this.http = address;
  }

  /** Leave at a clean stop: the work this node still held is free for the others at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.listener?.stop();
    await this.beats.idle();
    await Promise.all(this.handingOver.values());
    for (const connector of this.shared) {
      await this.repo
        .releaseBindSlots(
          connector.id,
          this.nodeId,
          [...Array(connector.slotCount).keys()].map((i) => i + 1),
        )
        .catch((err: unknown) => this.log.warn({ err, connectorId: connector.id }, 'could not hand the binds back; the others take them after the lease'));
    }
    await this.repo.leave(this.nodeId).catch((err: unknown) => this.log.warn({ err }, 'could not leave the cluster; the others take over after the lease'));
  }

  /** The nodes, alive or gone, and what each holds (for /health). */
  async view(): Promise<{
    self: string;
    leaseMs: number;
    /** Connectors up on other nodes, as this node saw them at its last heartbeat: their messages go there. */
    upOnOtherNodes: string[];
    binds: Array<{ connectorId: string; slot: number; nodeId: string | null }>;
    nodes: Array<ClusterNodeRow & { alive: boolean; messages: number; callbacks: number }>;
  }> {
    const [nodes, claims, binds] = await Promise.all([this.repo.nodes(), this.repo.claimCounts(), this.repo.bindSlots()]);
    return {
      self: this.nodeId,
      leaseMs: this.leaseMs,
      upOnOtherNodes: [...this.upOnOthers].sort(),
      binds,
      nodes: nodes.map((n) => ({ ...n, alive: n.silentMs <= this.leaseMs, ...(claims.get(n.id) ?? { messages: 0, callbacks: 0 }) })),
    };
  }

  private async beatOrLog(): Promise<void> {
    if (this.stopping) return;
    try {
      await this.beat();
    } catch (err) {
      if (!this.isMember() && !this.lostLogged) {
        this.lostLogged = true;
        this.log.error({ err, nodeId: this.nodeId }, 'cannot write this node’s heartbeat: starting no new work until the database answers');
      }
    }
  }

  private async beat(): Promise<void> {
    // Membership counts from when the heartbeat was sent, not answered: the database may have written it at
    // any moment in between, and the others measure the lease from that moment.
    const sentAt = Date.now();
    let alive: ClusterNodeRow[];
    try {
      await this.beatRepo.beat(this.nodeId, this.startedAt, this.http, this.connectorsUp());
      alive = (await this.beatRepo.nodes()).filter((n) => n.silentMs <= this.leaseMs);
    } catch (err) {
      if (!this.isMember()) await this.holdBinds();
      throw err;
    }
    this.lastBeatAt = sentAt;
    this.upOnOthers = new Set(alive.filter((n) => n.id !== this.nodeId).flatMap((n) => n.connectorsUp));
    if (this.lostLogged) this.log.info({ nodeId: this.nodeId }, 'heartbeat written again: back in the cluster');
    this.lostLogged = false;
    await this.holdBinds(new Set(alive.map((n) => n.id)));
  }

  /** `alive`: the live nodes at this heartbeat; empty when this node is not a member (it holds no binds). */
  private async holdBinds(alive: ReadonlySet<string> = new Set()): Promise<void> {
    if (this.shared.length === 0) return;
    const member = alive.size > 0;
    for (const connector of this.shared) {
      const share = Math.ceil(connector.slotCount / Math.max(1, alive.size));
      const held = member ? await this.beatRepo.holdBindSlots(connector.id, connector.slotCount, this.nodeId, this.leaseMs, share) : [];
      if (member) await this.balanceBinds(connector, share, held, alive);
      const running = held.filter((slot) => !this.handingOver.has(`${connector.id}#${slot}`));
      const summary = running.join(',');
      if (this.heldSlots.get(connector.id) !== summary) {
        this.heldSlots.set(connector.id, summary);
        this.log.info(
          { connectorId: connector.id, slots: running },
          running.length > 0 ? 'holding binds of the cluster' : 'holding no binds of this connector',
        );
      }
      await connector.holdSlots(new Set(running));
    }
  }

  /**
   * Binds follow the nodes (decision 0137): a node below its share (`share`, the connector's binds over the live
   * nodes, rounded up) with no free slot to take asks a node above it for one of its slots; a node above its share
   * hands an asked-for slot over once that bind's window is empty, straight to the asker, who binds it at once. Both
   * hear of it through CLUSTER_CHANNEL and beat early; without the notification (a lost connection), at their next
   * heartbeat. A node never gives up a slot nobody asked for, so a bind is never left unheld for want of a taker.
   */
  private async balanceBinds(connector: SharedBindConnector, share: number, held: readonly number[], alive: ReadonlySet<string>): Promise<void> {
    const slots = await this.beatRepo.slotsOf(connector.id);
    const liveAsk = (s: { wantedBy: string | null }) => s.wantedBy !== null && alive.has(s.wantedBy);
    if (held.length < share) {
      const holding = new Map<string, number>();
      for (const s of slots) if (s.nodeId && alive.has(s.nodeId)) holding.set(s.nodeId, (holding.get(s.nodeId) ?? 0) + (liveAsk(s) ? 0 : 1));
      let need = share - held.length - slots.filter((s) => s.wantedBy === this.nodeId && s.nodeId !== this.nodeId).length;
      for (const s of slots) {
        if (need <= 0) break;
        if (!s.nodeId || s.nodeId === this.nodeId || liveAsk(s) || (holding.get(s.nodeId) ?? 0) <= share) continue;
        if (await this.beatRepo.askForBindSlot(connector.id, s.slot, s.nodeId, this.nodeId, this.leaseMs)) {
          holding.set(s.nodeId, holding.get(s.nodeId)! - 1);
          need--;
        }
      }
    }
    const asked = slots.filter((s) => s.nodeId === this.nodeId && liveAsk(s) && s.wantedBy !== this.nodeId);
    const stale = (held.length >= share && slots.some((s) => s.wantedBy === this.nodeId)) || (held.length <= share && asked.length > 0);
    if (stale) await this.beatRepo.withdrawBindAsks(connector.id, this.nodeId, held.length >= share, held.length <= share);
    if (held.length > share) for (const s of asked.slice(0, held.length - share)) this.handOver(connector, s.slot, s.wantedBy!);
  }

  private handOver(connector: SharedBindConnector, slot: number, to: string): void {
    const key = `${connector.id}#${slot}`;
    if (this.handingOver.has(key)) return;
    this.log.info({ connectorId: connector.id, slot, to }, 'handing a bind to the node that asked for it, once its window is empty');
    const done = connector
      .handOverSlot(slot)
      .then(() => this.beatRepo.passBindSlot(connector.id, slot, this.nodeId))
      .catch((err: unknown) => this.log.warn({ err, connectorId: connector.id, slot }, 'could not hand the bind over; it binds here again'))
      .finally(() => this.handingOver.delete(key));
    this.handingOver.set(key, done);
  }
}
