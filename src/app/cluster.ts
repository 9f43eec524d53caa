/**
 * This node's membership in a cluster of nodes on one PostgreSQL (issue 17, decision 0105): it writes a
 * heartbeat every quarter of the lease; a node whose heartbeat is older than the lease is gone and what it
 * claimed (unfinished messages, pending callbacks) is taken over by the others. A node that cannot write its
 * heartbeat for three quarters of the lease stops starting work, since the others may be taking it over.
 */
import type { Logger } from '../shared/log.js';
import type { ClusterView } from '../shared/cluster-view.js';
import { ClusterRepo, type ClusterNodeRow } from '../store/cluster-repo.js';
import type { SqlExecutor } from '../store/sql.js';

export class ClusterMembership implements ClusterView {
  private readonly repo: ClusterRepo;
  private readonly startedAt = Date.now();
  private lastBeatAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  private lostLogged = false;

  constructor(
    sql: SqlExecutor,
    readonly nodeId: string,
    readonly leaseMs: number,
    private readonly log: Logger,
    private http: string | null = null,
  ) {
    this.repo = new ClusterRepo(sql);
  }

  isMember(): boolean {
    return Date.now() - this.lastBeatAt < this.leaseMs * 0.75;
  }

  /** The first heartbeat must be written: a node that cannot reach the database does not start. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(
      () => {
        this.beating ??= this.beat()
          .catch((err: unknown) => {
            if (!this.isMember() && !this.lostLogged) {
              this.lostLogged = true;
              this.log.error({ err, nodeId: this.nodeId }, 'cannot write this node’s heartbeat: starting no new work until the database answers');
            }
          })
          .finally(() => (this.beating = null));
      },
      Math.max(250, Math.floor(this.leaseMs / 4)),
    );
    this.timer.unref();
  }

  /** The HTTP address others reach this node at, once it listens. */
  setHttp(address: string): void {
    this.http = address;
  }

  /** Leave at a clean stop: the work this node still held is free for the others at once. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    await this.repo.leave(this.nodeId).catch((err: unknown) => this.log.warn({ err }, 'could not leave the cluster; the others take over after the lease'));
  }

  /** The nodes, alive or gone, and what each holds (for /health). */
  async view(): Promise<{ self: string; leaseMs: number; nodes: Array<ClusterNodeRow & { alive: boolean; messages: number; callbacks: number }> }> {
    const [nodes, claims] = await Promise.all([this.repo.nodes(), this.repo.claimCounts()]);
    return {
      self: this.nodeId,
      leaseMs: this.leaseMs,
      nodes: nodes.map((n) => ({ ...n, alive: n.silentMs <= this.leaseMs, ...(claims.get(n.id) ?? { messages: 0, callbacks: 0 }) })),
    };
  }

  private async beat(): Promise<void> {
    await this.repo.beat(this.nodeId, this.startedAt, this.http);
    this.lastBeatAt = Date.now();
    if (this.lostLogged) this.log.info({ nodeId: this.nodeId }, 'heartbeat written again: back in the cluster');
    this.lostLogged = false;
  }
}
