/**
 * The deliver_sm owed to the SMPP server's clients (receipts, inbound SMS),
 * taken from the durable queue and sent to a receiver or transceiver bind of
 * the client, as many at once as its sessions' windows allow. A row leaves
 * the queue only after the client answered deliver_sm_resp with ESME_ROK and
 * that deletion committed; a refusal or a lost session puts it back for a
 * later attempt (retrySeconds, doubling to 5 minutes), so nothing is lost
 * while no bind is up or across a restart. Rows with the same order key (one
 * message's receipts) go out one at a time, in queue order.
 */
import type { Logger } from '../../shared/log.js';
import type { Committer } from '../../store/sql.js';
import type { DeliveryQueueStore, QueuedDelivery } from './ports.js';

/** A bound session that takes deliver_sm: how many more it can have unanswered, and how to send one. */
export interface DeliveryTarget {
  room(): number;
  /** Resolves with the client's command_status, or null when the session ended or the answer timed out. */
  deliver(fields: QueuedDelivery['fields']): Promise<number | null>;
}

export interface DeliveryDispatcherDeps {
  queue: DeliveryQueueStore;
  committer: Pick<Committer, 'run'>;
  /** The client's bound sessions that take deliver_sm, right now. */
  targets: (systemId: string) => DeliveryTarget[];
  /** Clients with at least one such session. */
  boundClients: () => Iterable<string>;
  log: Logger;
  retryMs: number;
  now?: () => number;
  onDelivered?: (delivery: QueuedDelivery) => void;
}

const MAX_RETRY_MS = 5 * 60_000;
/** Rows read per client per pass. */
const BATCH = 500;

export class DeliveryDispatcher {
  private readonly inFlight = new Set<number>();
  private readonly keysInFlight = new Set<string>();
  /**
   * Rows whose answer could not be written (a full disk), by id: not offered again before this time. Read back as due
   * by the pass their answer kicks, they were offered again at once, and again, as fast as the client answered.
   */
  private readonly heldUntil = new Map<number, number>();
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: DeliveryDispatcherDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    // Postponed rows come due without any event: look again every second.
    this.timer = setInterval(() => this.kick(), 1000);
    this.timer.unref();
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Something was queued or a session can take more: one pass, soon. Cheap to call often. */
  kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const now = this.now();
      for (const [id, until] of this.heldUntil) if (until <= now) this.heldUntil.delete(id);
      for (const systemId of this.deps.boundClients()) {
        this.pass(systemId).catch((err: unknown) => this.deps.log.error({ err, systemId }, 'could not read the deliveries owed to an SMPP client'));
      }
    });
  }

  get pending(): number {
    return this.inFlight.size;
  }

  private async pass(systemId: string): Promise<void> {
    const targets = this.deps.targets(systemId);
    // Every commit kicks a pass: while the client's windows are full there is nothing to read.
    if (!targets.some((t) => t.room() > 0)) return;
    const now = this.now();
    const blocked = new Set<string>();
    // Synchronous from here on: a pass that read the same rows meanwhile sees what this one sent (inFlight).
    for (const row of await this.deps.queue.oldest(systemId, BATCH + this.inFlight.size)) {
      if (this.inFlight.has(row.id)) continue;
      if (this.keysInFlight.has(row.orderKey) || blocked.has(row.orderKey) || row.nextAttemptAt > now || (this.heldUntil.get(row.id) ?? 0) > now) {
        blocked.add(row.orderKey); // later rows of this key wait for this one
        continue;
      }
      const target = targets.find((t) => t.room() > 0);
      if (!target) return;
      this.send(target, row);
    }
  }

  private send(target: DeliveryTarget, row: QueuedDelivery): void {
    this.inFlight.add(row.id);
    this.keysInFlight.add(row.orderKey);
    void target.deliver(row.fields).then(
      (status) => this.answered(row, status),
      () => this.answered(row, null),
    );
  }

  private async answered(row: QueuedDelivery, status: number | null): Promise<void> {
    try {
      this.heldUntil.delete(row.id);
      if (status === 0) {
        await this.deps.committer.run(() => this.deps.queue.delete(row.id));
        this.deps.onDelivered?.(row);
      } else {
        const attempts = row.attempts + 1;
        const delay = Math.min(MAX_RETRY_MS, this.deps.retryMs * 2 ** Math.min(attempts - 1, 16));
        if (status !== null)
          this.deps.log.warn({ systemId: row.systemId, kind: row.kind, status, attempts }, 'SMPP client refused a deliver_sm; it is offered again later');
        await this.deps.committer.run(() => this.deps.queue.postpone(row.id, attempts, this.now() + (status === null ? 0 : delay)));
      }
    } catch (err) {
      this.heldUntil.set(row.id, this.now() + this.deps.retryMs);
      this.deps.log.error({ err, systemId: row.systemId }, 'could not record the answer to a deliver_sm; it is offered again after the retry delay');
    } finally {
      this.inFlight.delete(row.id);
      this.keysInFlight.delete(row.orderKey);
      this.kick();
    }
  }
}
