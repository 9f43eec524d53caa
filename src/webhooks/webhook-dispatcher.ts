/**
 * Delivers stored callbacks: in order per order_key (only the oldest pending
 * row of a key is in flight), in parallel across keys up to `concurrency`,
 * retried with exponential back-off until a 2xx or `maxAgeHours`, after which
 * the row is a dead letter. Rows are found without polling per callback:
 * `kick()` after a commit reads rows newer than the last seen id; a slow
 * sweep finds rows another process (the CLI) made pending again.
 */
import { createHmac } from 'node:crypto';
import type { Registry } from 'prom-client';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Committer } from '../store/sql.js';
import type { Logger } from '../shared/log.js';
import { backoffDelay } from '../shared/backoff.js';
import { Fifo } from '../shared/fifo.js';
import type { WebhookConfig } from './config.js';
import { HttpSender, httpSenderOptions, type CallbackSender } from './http-sender.js';
import type { WebhookRow, WebhookStore } from './webhook.js';
import type { ClusterView } from '../shared/cluster-view.js';

/** Longest a callback's outcome waits for another commit to ride along with (deferred group commit). */
const OUTCOME_COMMIT_DELAY_MS = 250;

export interface WebhookDispatcherDeps {
  store: WebhookStore;
  committer: Pick<Committer, 'run' | 'defer'>;
  config: WebhookConfig;
  log: Logger;
  registry?: Registry;
  now?: () => number;
  /** Who talks HTTP (default: an HttpSender with the config's deadlines and no egress policy; the daemon gives one with its policy). */
  sender?: CallbackSender;
  /**
   * Several nodes on one database: this node sends the callbacks it holds, and each sweep claims those no
   * live node holds (a dead node's). Absent on SQLite: every pending callback is this node's.
   */
  cluster?: ClusterView;
}

export class WebhookDispatcher {
  private readonly now: () => number;
  /** Pending rows per order key, oldest first; the head is the one to send. */
  private readonly queues = new Map<string, WebhookRow[]>();
  private readonly known = new Set<number>();
  /** Order keys whose head is being sent now. */
  private readonly inFlightKeys = new Set<string>();
  private readonly ready = new Fifo<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /**
   * Order keys whose head failed and waits out its back-off, by the receiver's origin. While an origin has
   * any, one of them is tried every `catchUpProbeMs` whatever its own back-off; the first 2xx from the origin
   * releases them all, so a receiver's backlog drains within seconds of its return, not at each row's own
   * next attempt (which had the last one arrive minutes after the receiver was back).
   */
  private readonly waitingByOrigin = new Map<string, Set<string>>();
  private readonly probes = new Map<string, NodeJS.Timeout>();
  private inFlight = 0;
  /** Set while this node's heartbeat is not current (cluster): it sends nothing and has forgotten its queue. */
  private fenced = false;
  private lastSeenId = 0;
  private kickScheduled = false;
  /** Ids other nodes stored under order keys this node holds, to read on the next turn (one query for all). */
  private readonly handedOver = new Set<number>();
  private running = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private idle: (() => void) | null = null;
  private readonly counts = { delivered: 0, failedAttempts: 0, dead: 0 };
  private readonly sender: CallbackSender;
  private readonly metrics;

  constructor(private readonly deps: WebhookDispatcherDeps) {
    this.sender = deps.sender ?? new HttpSender(httpSenderOptions(deps.config));
    this.now = deps.now ?? Date.now;
    const registers = deps.registry ? [deps.registry] : [];
    const pending = () => this.pendingCount();
    this.metrics = {
      deliveries: new Counter({ name: 'telenode_webhook_deliveries_total', help: 'Callback delivery attempts by result', labelNames: ['result'], registers }),
      latency: new Histogram({
        name: 'telenode_webhook_latency_seconds',
        help: 'From storing a callback to its 2xx answer',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600],
        registers,
      }),
    };
    new Gauge({
      name: 'telenode_webhook_pending',
      help: 'Callbacks stored and not yet delivered',
      registers,
      collect() {
        this.set(pending());
      },
    });
  }

  async start(): Promise<void> {
    this.running = true;
    await this.loadNew();
    this.sweepTimer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.deps.log.error({ err }, 'callback sweep failed'));
    }, this.deps.config.sweepSeconds * 1000);
    this.sweepTimer.unref();
    // A node that left at a clean stop: its callbacks are free now, not at the next sweep.
    this.deps.cluster?.onWorkFreed?.((work) => {
      if (work === 'all') this.sweepNow().catch((err: unknown) => this.deps.log.error({ err }, 'callback sweep failed'));
    });
    // Another node stored a callback under an order key this node holds: its id may be below the last one read.
    this.deps.cluster?.onCallbackHandedOver?.((id) => this.readHandedOver(id));
  }

  private readHandedOver(id: number): void {
    if (!this.running || this.known.has(id)) return;
    const first = this.handedOver.size === 0;
    this.handedOver.add(id);
    if (!first) return;
    setImmediate(() => {
      const ids = [...this.handedOver];
      this.handedOver.clear();
      const cluster = this.deps.cluster!;
      this.deps.store
        .heldPending(cluster.nodeId, ids)
        .then((rows) => {
          for (const row of rows) if (this.running) this.add(row, true);
        })
        .catch((err: unknown) => this.deps.log.error({ err }, 'could not read callbacks another node stored for this one; the sweep picks them up'));
    });
  }

  /** New rows were committed: pick them up on the next tick (many kicks, one query). */
  kick(): void {
    if (!this.running || this.kickScheduled) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      this.loadNew().catch((err: unknown) => this.deps.log.error({ err }, 'could not read new callbacks; the sweep picks them up'));
    });
  }

  /** Look for pending rows this process does not know now (dead letters the console just replayed). */
  async sweepNow(): Promise<void> {
    if (this.running) await this.sweep();
  }

  async stop(timeoutMs = 5000): Promise<void> {
    this.running = false;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const probe of this.probes.values()) clearTimeout(probe);
    this.probes.clear();
    this.waitingByOrigin.clear();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.sender.close();
  }

  stats(): { pending: number; inFlight: number; delivered: number; failedAttempts: number; dead: number } {
    return { pending: this.pendingCount(), inFlight: this.inFlight, ...this.counts };
  }

  private pendingCount(): number {
    let n = 0;
    for (const queue of this.queues.values()) n += queue.length;
    return n;
  }

  private async loadNew(): Promise<void> {
    if (!this.running || this.fencedOut()) return;
    const cluster = this.deps.cluster;
    const after = this.lastSeenId;
    const rows = cluster ? await this.deps.store.pendingOf(cluster.nodeId, after) : await this.deps.store.pendingAfter(after);
    for (const row of rows) {
      this.lastSeenId = Math.max(this.lastSeenId, row.id);
      // One committed after a higher id was read (PostgreSQL) goes into its order key's queue by id, as the sweep's do.
      if (this.running) this.add(row, row.id <= after);
    }
  }

  /** Pending rows this process does not know: replayed by the CLI. */
  private async sweep(): Promise<void> {
    await this.loadNew();
    const cluster = this.deps.cluster;
    if (cluster?.isMember()) {
      // A dead node's callbacks (after its lease) and replayed dead letters: whole order keys at a time.
      for (const row of await this.deps.store.claimOrphans(cluster.nodeId, cluster.leaseMs, 500)) if (this.running) this.add(row, true);
    }
    // Ours that loadNew cannot see: replayed by the CLI, or (in a cluster) stored by another node's transaction
    // under a lower id than the last one we read.
    for (const id of await this.deps.store.pendingIds(cluster?.nodeId)) {
      if (this.known.has(id)) continue;
      const row = await this.deps.store.byId(id);
      if (row && row.state === 'pending' && this.running) this.add(row, true);
    }
  }

  private add(row: WebhookRow, sort = false): void {
    if (this.known.has(row.id)) return;
    this.known.add(row.id);
    let queue = this.queues.get(row.orderKey);
    if (!queue) {
      queue = [];
      this.queues.set(row.orderKey, queue);
    }
    queue.push(row);
    // A head in flight stays the head (deliver() takes it off when the receiver has answered, and schedules the
    // next); one read late goes in order behind it. Scheduled again now, the head would be sent a second time.
    const inFlight = this.inFlightKeys.has(row.orderKey);
    if (sort) {
      const head = inFlight ? queue.shift() : undefined;
      queue.sort((a, b) => a.id - b.id);
      if (head) queue.unshift(head);
    }
    if (!inFlight && (queue.length === 1 || sort)) this.schedule(row.orderKey);
  }

  private schedule(key: string): void {
    const head = this.queues.get(key)?.[0];
    // A key whose head is in flight is scheduled by deliver() once the receiver has answered.
    if (!head || !this.running || this.inFlightKeys.has(key)) return;
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    this.timers.delete(key);
    const delay = head.nextAttemptAt - this.now();
    if (delay <= 0) {
      this.ready.push(key);
      this.pump();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.ready.push(key);
      this.pump();
    }, delay);
    timer.unref();
    this.timers.set(key, timer);
  }

  private waitOnOrigin(origin: string, key: string): void {
    let keys = this.waitingByOrigin.get(origin);
    if (!keys) {
      keys = new Set();
      this.waitingByOrigin.set(origin, keys);
    }
    keys.add(key);
    if (this.probes.has(origin)) return;
    const probe = setTimeout(() => {
      this.probes.delete(origin);
      // Try the longest-waiting key of this origin now; its outcome arms the next probe or releases the rest.
      const next = [...(this.waitingByOrigin.get(origin) ?? [])].find((k) => this.timers.has(k));
      if (next) this.releaseKey(next);
    }, this.deps.config.catchUpProbeMs);
    probe.unref();
    this.probes.set(origin, probe);
  }

  /** The origin answered 2xx: every key waiting on it goes now, in its own order. */
  private releaseOrigin(origin: string, deliveredKey: string): void {
    const keys = this.waitingByOrigin.get(origin);
    if (!keys) return;
    this.waitingByOrigin.delete(origin);
    const probe = this.probes.get(origin);
    if (probe) clearTimeout(probe);
    this.probes.delete(origin);
    for (const key of keys) {
      if (key === deliveredKey) continue;
      const head = this.queues.get(key)?.[0];
      if (head) head.nextAttemptAt = Math.min(head.nextAttemptAt, this.now());
      this.releaseKey(key);
    }
  }

  private releaseKey(key: string): void {
    const timer = this.timers.get(key);
    if (!timer) return; // in flight or already ready
    clearTimeout(timer);
    this.timers.delete(key);
    this.ready.push(key);
    this.pump();
  }

  /**
   * In a cluster, a node whose heartbeat is not current sends nothing: after the lease the others take its
   * callbacks over, and a callback both sent is one the receiver gets twice. It forgets its queue (but what
   * is in flight) and reads back what is still its own once its heartbeat is current again.
   */
  private fencedOut(): boolean {
    const cluster = this.deps.cluster;
    if (!cluster) return false;
    if (cluster.isMember()) {
      if (this.fenced) {
        this.fenced = false;
        this.lastSeenId = 0;
        this.deps.log.info({ nodeId: cluster.nodeId }, 'heartbeat current again: reading back this node’s callbacks');
      }
      return false;
    }
    if (!this.fenced) {
      this.fenced = true;
      this.deps.log.warn({ nodeId: cluster.nodeId }, 'heartbeat not current: sending no callbacks until it is (the other nodes may take them over)');
      for (const timer of this.timers.values()) clearTimeout(timer);
      for (const probe of this.probes.values()) clearTimeout(probe);
      this.timers.clear();
      this.probes.clear();
      this.waitingByOrigin.clear();
      this.ready.drain();
      for (const queue of this.queues.values()) for (const row of queue.slice(this.inFlightKeys.has(queue[0]!.orderKey) ? 1 : 0)) this.known.delete(row.id);
      this.queues.clear();
    }
    return true;
  }

  private pump(): void {
    if (this.fencedOut()) return;
    while (this.running && this.inFlight < this.deps.config.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const head = this.queues.get(key)?.[0];
      if (head) void this.deliver(key, head);
    }
  }

  private async deliver(key: string, row: WebhookRow): Promise<void> {
    this.inFlight++;
    this.inFlightKeys.add(key);
    const attempt = row.attempts + 1;
    const outcome = await this.sender.send({ url: row.url, method: row.method, headers: this.headers(row), body: row.body, owner: row.owner });
    const status = outcome.status ?? null;
    const error = outcome.error ?? (status !== null && (status < 200 || status >= 300) ? `HTTP ${status}` : null);
    this.inFlight--;
    this.inFlightKeys.delete(key);
    const now = this.now();
    const queue = this.queues.get(key);
    if (queue?.[0] !== row) {
      // Fenced out while it was in flight: record what the receiver said, and read the row back later if still pending.
      this.recordDetached(row, attempt, now, status, error);
      return;
    }
    const origin = originOf(row.url);
    if (error === null) {
      this.releaseOrigin(origin, key);
      queue.shift();
      this.counts.delivered++;
      this.metrics.deliveries.inc({ result: 'delivered' });
      this.metrics.latency.observe((now - row.createdAt) / 1000);
      this.persist(row.id, () => this.deps.store.delivered(row.id, attempt, now, status), { deferred: true });
    } else if (outcome.permanent || now - row.createdAt >= this.deps.config.maxAgeHours * 3_600_000) {
      queue.shift();
      this.counts.dead++;
      this.metrics.deliveries.inc({ result: 'dead' });
      this.deps.log.warn({ webhookId: row.id, kind: row.kind, url: row.url, attempts: attempt, err: error }, 'callback given up: kept as a dead letter');
      this.persist(row.id, () => this.deps.store.dead(row.id, attempt, status, error, now));
      this.waitingByOrigin.get(origin)?.delete(key);
    } else {
      row.attempts = attempt;
      row.nextAttemptAt = now + backoffDelay(this.deps.config.backoff, attempt);
      this.counts.failedAttempts++;
      this.metrics.deliveries.inc({ result: 'failed_attempt' });
      if (attempt === 1 || attempt % 10 === 0) {
        this.deps.log.info({ webhookId: row.id, kind: row.kind, url: row.url, attempts: attempt, err: error }, 'callback failed; will retry');
      }
      this.persist(null, () => this.deps.store.failed(row.id, attempt, row.nextAttemptAt, status, error, now));
      this.waitOnOrigin(origin, key);
    }
    if (queue.length === 0) this.queues.delete(key);
    else this.schedule(key);
    if (this.inFlight === 0 && this.idle) this.idle();
    this.pump();
  }

  private recordDetached(row: WebhookRow, attempt: number, now: number, status: number | null, error: string | null): void {
    if (error === null) this.persist(row.id, () => this.deps.store.delivered(row.id, attempt, now, status));
    else this.persist(row.id, () => this.deps.store.failed(row.id, attempt, now + backoffDelay(this.deps.config.backoff, attempt), status, error, now));
    if (this.inFlight === 0 && this.idle) this.idle();
  }

  private headers(row: WebhookRow): Record<string, string> {
    const headers: Record<string, string> = { 'user-agent': this.deps.config.userAgent, ...row.headers };
    if (row.method !== 'GET') headers['content-type'] = row.contentType;
    const secret = this.deps.config.signingSecret;
    if (secret) {
      const t = Math.floor(this.now() / 1000);
      headers['x-telenode-signature'] = `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${row.body}`).digest('hex')}`;
    }
    return headers;
  }

  /**
   * The outcome is written through the group committer without waiting: if the
   * process dies first, the callback is sent again (at least once, never lost).
   * A delivered callback's outcome (the hot path: one per receipt) is deferred,
   * riding along with the next commit (an accept, a receipt) instead of costing
   * an fsync of its own; a dead letter or a failed attempt is committed at once,
   * since users and the CLI read those. A finished row stays `known` until its
   * new state is committed, so the sweep cannot mistake it for a replayed one
   * and send it twice.
   */
  private persist(finishedId: number | null, write: () => Promise<void>, options: { deferred?: boolean } = {}): void {
    (options.deferred ? this.deps.committer.defer(write, OUTCOME_COMMIT_DELAY_MS) : this.deps.committer.run(write))
      .catch((err: unknown) => this.deps.log.error({ err }, 'could not record a callback outcome'))
      .finally(() => {
        if (finishedId !== null) this.known.delete(finishedId);
      });
  }
}

/** scheme://host:port of a callback URL: receivers are up or down per origin. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
