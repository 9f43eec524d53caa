/**
 * The durable outbox: accepts messages (stored before the caller hears
 * "accepted"), hands them to connectors chosen by the router, records what
 * the carrier answered, retries what can be retried, and expires what waited
 * too long. One instance serves every API dialect and every connector.
 *
 * Crash safety: a message is in `accepted` until its submit_sm_resp is stored.
 * After a crash every `accepted` message is submitted again, so the only
 * duplicates a crash can cause are the parts that were on the wire or whose
 * answer was not yet committed (bounded by the connectors' windows plus one
 * group-commit batch).
 */
import { randomInt } from 'node:crypto';
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import type { Committer } from '../store/sql.js';
import type { MessageRepo, ScheduleCursor } from '../store/message-repo.js';
import type { Logger } from '../shared/log.js';
import { AppError, ErrorCode, isAppError } from '../shared/errors.js';
import { backoffDelay } from '../shared/backoff.js';
import { Fifo } from '../shared/fifo.js';
import type { Connector, SubmitPart } from './connectors/connector.js';
import { estimateSegments, planSegments } from './encoding/index.js';
import { FOLLOW_UP_COMMIT_DELAY_MS } from './follow-up-commit.js';
import { MessageStatus, encodeEvents, type MessagePart, type StoredMessage } from './message.js';
import type { Router } from './router.js';
import type { PartUpdate, StatusWriter, WrittenStatus } from './status-writer.js';
import type { ReceiptProcessor } from './receipts.js';
import type { Admission } from './admission.js';
import { newId } from '../shared/ids.js';
import type { ClusterView } from '../shared/cluster-view.js';
import { SerialTask } from '../shared/serial-task.js';
import { SubmitPipeline } from './submit-pipeline.js';

export interface OutboxConfig {
  maxParts: number;
  defaultSender: string;
  requestReceipts: boolean;
  retry: { initialMs: number; maxMs: number; maxAgeHours: number };
}

export interface AcceptRequest {
  user: string;
  dialect: string;
  sender?: string | null;
  recipient: string;
  text: string;
  callbackUrl?: string | null;
  meta?: Record<string, unknown>;
  /** Absolute time after which an undelivered message expires (dialect option). */
  expiresAt?: number | null;
  /** The dialect's own length limit replaces `sms.maxParts` (null: the dialect checked the length itself). */
  maxParts?: number | null;
  /** When the message is to go (scheduled sending, decision 0144); absent, null or a time already come: at once. */
  sendAt?: number | null;
  /** The id, when the caller had to name the message before accepting it (the SMPP server answers a long message's first part before its last arrives). */
  id?: string;
}

/** What the outbox needs of the message store (the port; store/message-repo.ts implements it). */
export type OutboxStore = Pick<
  MessageRepo,
  'insert' | 'get' | 'parts' | 'update' | 'listPending' | 'listPendingSince' | 'listScheduled' | 'replaceWaiting' | 'claimDue' | 'release'
>;

/** What SMPP replace_sm may change of a waiting message; a field left out stays as it is. */
export interface MessageChange {
  text?: string;
  /** A time still to come, or null: at once. */
  sendAt?: number | null;
  expiresAt?: number | null;
  /** Merged into the message's `meta`. */
  meta?: Record<string, unknown>;
}

export interface OutboxDeps {
  repo: OutboxStore;
  /** Runs each state change as one transaction (the group committer); submit results may wait to share one. */
  committer: Pick<Committer, 'run' | 'defer' | 'serial'>;
  statusWriter: StatusWriter;
  /** Receipts that came before their submit_sm_resp was recorded wait there for it. */
  receipts: Pick<ReceiptProcessor, 'matchWaiting' | 'remember' | 'forget'>;
  router: Router;
  connectors: ReadonlyMap<string, Connector>;
  config: OutboxConfig;
  log: Logger;
  registry?: Registry;
  /** Called after a commit that may have enqueued callbacks. */
  afterCommit?: () => void;
  now?: () => number;
  /** Most messages handed to connectors and not yet answered. */
  maxInFlight?: number;
  /** Sender switched off, quota spent: refusals that apply to every dialect. */
  admission?: Admission;
  /**
   * Several nodes on one database (PostgreSQL): messages this node accepts are claimed by it; every
   * `claimIntervalMs` it claims due messages no live node holds (a dead node's, after the lease). Absent on
   * SQLite, where everything unfinished is this node's.
   */
  cluster?: ClusterView;
  claimIntervalMs?: number;
  /** Scheduled messages due within this are held in memory, a timer each; later ones stay in the store until then. */
  scheduleHorizonMs?: number;
  /** At most this many messages held for their time or waiting in the ready queue before a read of the schedule holds more. */
  scheduleHeldMax?: number;
}

/** Scheduled messages are read from the store this far ahead of their send time, in passes half as far apart. */
const SCHEDULE_HORIZON_MS = 60_000;
/** Rows a pass over the scheduled messages reads at once. */
const SCHEDULE_PAGE = 500;
/**
 * Scheduled messages a read of the schedule leaves in memory (held for their time, or due and queued) before it waits
 * for them to go: a batch of 100,000 reminders for nine o'clock would otherwise hold ~20 MiB of timers from 8:59.
 */
const SCHEDULE_HELD_MAX = 10_000;

/** How long a message this node handed back is left to the others before it may claim it again. */
const RECLAIM_AFTER_MS = 5000;

export class Outbox {
  private readonly ready = new Fifo<string>();
  private readonly parked = new Set<string>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly queued = new Set<string>();
  /** Messages accepted by this process and not yet dispatched: no need to read them back. */
  private readonly fresh = new Map<string, StoredMessage>();
  /** Being cancelled or replaced: never dispatched meanwhile, whatever queue still names them. */
  private readonly changing = new Set<string>();
  /** Handed to dispatch and not yet settled: whatever else asks for them meanwhile (a timer, a claim, a read of the schedule) is a duplicate. */
  private readonly dispatching = new Set<string>();
  private inFlight = 0;
  private stopping = false;
  private drained: (() => void) | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private claimTimer: NodeJS.Timeout | null = null;
  /** Messages this node handed back lately (no bind of its own could take them): not claimed again for a while. */
  private readonly released = new Map<string, number>();
  /** Claim passes, one at a time (hand-overs heard and the sweep both ask for one). */
  private readonly claimPass = new SerialTask(() => this.claimOnce());
  /**
   * Scheduled messages due by this time are held here (a timer each) or were read to be; the ones after it are
   * read from the store in passes as their time nears, so a million messages for next week cost no memory today.
   */
  private scheduledUntil: number;
  /** Where the next read of the schedule goes on from: `scheduledUntil` once a read got to the end of its window. */
  private scheduleCursor: ScheduleCursor;
  /** Ids held by a timer for their send time, as opposed to a retry's. */
  private readonly heldForTime = new Set<string>();
  /** A read of the schedule stopped at the cap: the next one is asked for once half the room is free. */
  private scheduleBacklog = false;
  private scheduleTimer: NodeJS.Timeout | null = null;
  private readonly schedulePass = new SerialTask(() => this.readSchedule());
  private readonly scheduleHorizonMs: number;
  private readonly scheduleHeldMax: number;
  /** The sweep asked for a pass since the last one began: what it claims is a gone node's. */
  private sweepAsked = false;
  /** In a cluster: this node's own unfinished messages from before a restart have been taken back. */
  private ownRecovered = false;
  /** When this process began: what this node holds that was accepted before it is from before a restart. */
  private readonly startedAt = Date.now();
  private readonly now: () => number;
  private readonly maxInFlight: number;
  private readonly pipelines = new Map<string, SubmitPipeline>();
  private readonly metrics;

  constructor(private readonly deps: OutboxDeps) {
    this.now = deps.now ?? Date.now;
    this.maxInFlight = deps.maxInFlight ?? 4096;
    this.scheduleHorizonMs = deps.scheduleHorizonMs ?? SCHEDULE_HORIZON_MS;
    this.scheduleHeldMax = deps.scheduleHeldMax ?? SCHEDULE_HELD_MAX;
    this.scheduledUntil = this.now();
    this.scheduleCursor = { at: this.scheduledUntil };
    const registers = deps.registry ? [deps.registry] : [];
    this.metrics = {
      accepted: new Counter({ name: 'telenode_sms_accepted_total', help: 'Messages accepted by the API', labelNames: ['dialect'], registers }),
      submitted: new Counter({ name: 'telenode_sms_parts_submitted_total', help: 'Parts accepted by a carrier', labelNames: ['connector'], registers }),
      submitFailed: new Counter({
        name: 'telenode_sms_submit_failures_total',
        help: 'Part submissions that failed',
        labelNames: ['connector', 'retryable'],
        registers,
      }),
      inFlight: new Gauge({ name: 'telenode_sms_in_flight', help: 'Messages handed to a connector and not yet answered', registers }),
    };
    const queueDepth = () => this.queueDepth();
    new Gauge({
      name: 'telenode_sms_queue_depth',
      help: 'Messages waiting for a connector (ready, parked, retrying, or scheduled and due within the minute)',
      registers,
      collect() {
        this.set(queueDepth());
      },
    });
  }

  /** Validate and durably store a message; resolves only after the commit. */
  async accept(request: AcceptRequest): Promise<StoredMessage> {
    const message = this.prepare(request);
    await this.deps.admission?.precheck(message);
    await this.deps.committer.run(() => this.store(message));
    this.accepted(message);
    return message;
  }

  /**
   * The first of accept's three steps, for callers that must store the message in a transaction of their
   * own (the SMPP server joins a long message's parts and accepts it in one): validate the request and
   * build the message, or throw the AppError the caller's dialect translates. Nothing is written.
   */
  prepare(request: AcceptRequest): StoredMessage {
    if (this.stopping) throw new AppError(ErrorCode.SHUTTING_DOWN, 'telenode is shutting down');
    const text = request.text;
    if (text.length === 0) throw new AppError(ErrorCode.MESSAGE_EMPTY, 'message text is empty', { details: { field: 'text' } });
    const sender = request.sender && request.sender.length > 0 ? request.sender : this.deps.config.defaultSender;
    const estimate = estimateWithin(text, request.maxParts === undefined ? this.deps.config.maxParts : request.maxParts);
    if (!this.deps.router.hasRoute(sender, request.recipient)) {
      throw new AppError(ErrorCode.ROUTE_NOT_FOUND, `no route for recipient ${request.recipient}`, {
        details: { recipient: request.recipient },
      });
    }
    const now = this.now();
    const sendAt = sendTime(request.sendAt ?? null, request.expiresAt ?? null, now);
    const message: StoredMessage = {
      id: request.id ?? newId(),
      user: request.user,
      dialect: request.dialect,
      sender,
      recipient: request.recipient,
      text,
      status: MessageStatus.Accepted,
      partsEstimate: estimate.parts,
      encoding: estimate.encoding,
      concatRef: randomInt(0, 65536),
      callbackUrl: request.callbackUrl ?? null,
      meta: request.meta ?? {},
      connectorId: null,
      attempts: 0,
      nextAttemptAt: sendAt ?? now,
      sendAt,
      errorCode: null,
      errorText: null,
      carrierStatus: null,
      carrierError: null,
      createdAt: now,
      updatedAt: now,
      submittedAt: null,
      doneAt: null,
      expiresAt: request.expiresAt ?? null,
      claimedBy: this.deps.cluster?.nodeId ?? null,
      // As inserted (the column's default): the submit result is written against it without reading the row again.
      version: 0,
    };
    this.deps.admission?.screen(message);
    return message;
  }

  /** The second step, inside the caller's transaction: count it against quotas and insert it. */
  async store(message: StoredMessage): Promise<void> {
    await this.deps.admission?.admit(message);
    await this.deps.repo.insert(message);
  }

  /** The third step, after the transaction committed: hand the message to the dispatcher. */
  accepted(message: StoredMessage): void {
    this.metrics.accepted.inc({ dialect: message.dialect });
    if (this.waitForSchedule(message)) return;
    if (!this.stopping) this.fresh.set(message.id, { ...message });
    this.enqueue(message.id);
  }

  /**
   * True when the message is scheduled for a time still to come: it is then held for that time if it is within the
   * horizon, or left in the store, where a read of the schedule finds it as its time nears.
   */
  private waitForSchedule(message: StoredMessage): boolean {
    const sendAt = message.sendAt;
    // Most messages have no send time: they cost no clock read here (this runs at every dispatch).
    if (!sendAt) return false;
    const now = this.now();
    if (sendAt <= now) return false;
    if (sendAt <= this.scheduledUntil) this.holdForTime(message.id, sendAt, now);
    return true;
  }

  /**
   * Fail a message that no part of has gone to a carrier yet (it waits in the queue, parked, for a retry or
   * for its time), as SMPP cancel_sm asks. False when it is in flight, was sent, or is not ours to cancel.
   */
  async cancel(id: string): Promise<boolean> {
    const message = await this.waitingMessage(id);
    if (!message || !this.holdBack(id)) return false;
    try {
      await this.deps.committer.run(() =>
        this.deps.statusWriter.finish(
          message,
          MessageStatus.Failed,
          { errorCode: ErrorCode.MESSAGE_CANCELLED, errorText: 'cancelled by the client' },
          this.now(),
        ),
      );
    } catch (err) {
      // Not cancelled after all: it goes out as if nothing had happened (at its time, when scheduled).
      this.letGo(message);
      throw err;
    }
    this.changing.delete(id);
    this.deps.afterCommit?.();
    return true;
  }

  /**
   * Change what a message no part of has gone to a carrier yet will be (SMPP replace_sm): its text, its send
   * time, its expiry, its dialect's `meta`; what `change` leaves out stays. False when it is in flight, was sent,
   * or is not ours to change; throws the AppError accept() would for the changed message (too long, a send time
   * not before its expiry), changing nothing.
   */
  async replace(id: string, change: MessageChange): Promise<boolean> {
    const message = await this.waitingMessage(id);
    if (!message) return false;
    const now = this.now();
    const replaced = this.applyChange(message, change, now);
    if (!this.holdBack(id)) return false;
    const event = encodeEvents([{ at: now, kind: 'replaced', ...(replaced.sendAt ? { sendAt: replaced.sendAt } : {}) }]);
    let stored: boolean;
    try {
      stored = await this.deps.committer.run(() => this.deps.repo.replaceWaiting(replaced, event));
    } catch (err) {
      this.letGo(message);
      throw err;
    }
    // Not stored: it stopped waiting meanwhile (another node finished it); what the store holds goes on as it was.
    this.letGo(stored ? replaced : message);
    return stored;
  }

  private applyChange(message: StoredMessage, change: MessageChange, now: number): StoredMessage {
    const text = change.text ?? message.text;
    const estimate = estimateWithin(text, this.deps.config.maxParts);
    const expiresAt = change.expiresAt === undefined ? message.expiresAt : change.expiresAt;
    const sendAt = sendTime(change.sendAt === undefined ? (message.sendAt ?? null) : change.sendAt, expiresAt, now);
    return {
      ...message,
      text,
      partsEstimate: estimate.parts,
      encoding: estimate.encoding,
      sendAt,
      nextAttemptAt: sendAt ?? now,
      expiresAt,
      meta: change.meta ? { ...message.meta, ...change.meta } : message.meta,
      updatedAt: now,
    };
  }

  /** The message, if it waits here and no part of it has gone to a carrier: queued, parked, held, or scheduled ahead. */
  private async waitingMessage(id: string): Promise<StoredMessage | null> {
    const held = this.queued.has(id) || this.parked.has(id) || this.retryTimers.has(id);
    const message = held ? (this.fresh.get(id) ?? (await this.deps.repo.get(id))) : await this.scheduledAhead(id);
    if (!message || message.status !== MessageStatus.Accepted) return null;
    if (message.attempts > 0 && (await this.deps.repo.parts(id)).some((p) => p.status !== MessageStatus.Accepted)) return null;
    return message;
  }

  /** Keep a waiting message from dispatch while it changes; false if it is changing already or went to dispatch meanwhile. */
  private holdBack(id: string): boolean {
    if (this.changing.has(id) || this.dispatching.has(id)) return false;
    this.changing.add(id);
    this.parked.delete(id);
    this.fresh.delete(id);
    this.dropTimer(id);
    return true;
  }

  /** A change ended without finishing the message: it waits again, for its time when scheduled. */
  private letGo(message: StoredMessage): void {
    this.changing.delete(message.id);
    // A read of the schedule during the change may have held it for the time it had before.
    this.dropTimer(message.id);
    if (!this.waitForSchedule(message)) this.enqueue(message.id);
  }

  /** This node's message scheduled past the horizon: nothing holds it yet, and nothing will dispatch it before its time. */
  private async scheduledAhead(id: string): Promise<StoredMessage | null> {
    const message = await this.deps.repo.get(id);
    if (!message?.sendAt || message.sendAt <= this.now() || this.dispatching.has(id)) return null;
    return (message.claimedBy ?? null) === (this.deps.cluster?.nodeId ?? null) ? message : null;
  }

  /** Recover messages left `accepted` by a previous run (in a cluster: this node's and the dead nodes'), then keep dispatching. */
  async start(): Promise<void> {
    const cluster = this.deps.cluster;
    if (cluster) {
      const recovered = await this.claim(true);
      if (recovered > 0) this.deps.log.info({ recovered }, 'resuming messages this node or a stopped one had accepted');
      // Another node handed messages over or left: claim now. The sweep stays for a dead node's, after its lease.
      cluster.onWorkFreed?.(() => this.claimSoon('told'));
      this.claimTimer = setInterval(() => this.claimSoon('sweep'), this.deps.claimIntervalMs ?? 1000);
      this.claimTimer.unref();
    } else {
      // A scheduled message past the horizon is read back as its time nears (the first pass runs below).
      const pending = await this.deps.repo.listPending(this.scheduledUntil);
      const now = this.now();
      for (const message of pending) {
        if (message.nextAttemptAt > now) this.scheduleRetry(message.id, message.nextAttemptAt - now);
        else this.enqueue(message.id);
      }
      if (pending.length > 0) this.deps.log.info({ recovered: pending.length }, 'resuming messages accepted before the last stop');
    }
    this.expiryTimer = setInterval(() => {
      this.expireStale().catch((err: unknown) => this.deps.log.error({ err }, 'expiry sweep failed'));
    }, 30_000);
    this.expiryTimer.unref();
    this.scheduleTimer = setInterval(() => this.schedulePass.request(), this.scheduleHorizonMs / 2);
    this.scheduleTimer.unref();
    this.schedulePass.request();
  }

  /**
   * Hold the scheduled messages whose time comes within the horizon, read from the store in send-time order from
   * where the last read stopped. The end of the window is raised before the read: a message accepted from then on
   * that is due by it is held at its acceptance. A message held some other way too (accepted during the read,
   * claimed back at the start) is held once: timers, queue and dispatch each take an id once. At most
   * `scheduleHeldMax` wait in memory; the read stops there and goes on once half of them have gone.
   */
  private async readSchedule(): Promise<void> {
    const until = this.now() + this.scheduleHorizonMs;
    if (this.stopping) return;
    this.scheduledUntil = Math.max(this.scheduledUntil, until);
    const nodeId = this.deps.cluster?.nodeId ?? null;
    try {
      for (;;) {
        const cursor = this.scheduleCursor;
        if (cursor.id === undefined && cursor.at >= until) return;
        const room = this.scheduleHeldMax - this.heldForTime.size - this.ready.length;
        if (room <= 0) {
          this.scheduleBacklog = true;
          return;
        }
        const limit = Math.min(SCHEDULE_PAGE, room);
        const page = await this.deps.repo.listScheduled(cursor, until, nodeId, limit);
        const now = this.now();
        for (const message of page) if (!this.dispatching.has(message.id)) this.holdForTime(message.id, message.sendAt!, now);
        const last = page[page.length - 1];
        // Read to the end of the window, or on from the last row read (by send time and id: none sharing its time is missed).
        this.scheduleCursor = page.length < limit || !last ? { at: until } : { at: last.sendAt!, id: last.id };
      }
    } catch (err) {
      // The cursor stays where the last page left it: the next read goes on from there.
      this.deps.log.error({ err }, 'could not read the scheduled messages due soon; trying again');
    }
  }

  private claimSoon(why: 'told' | 'sweep'): void {
    if (this.stopping) return;
    if (why === 'sweep') this.sweepAsked = true;
    this.claimPass.request();
  }

  private async claimOnce(): Promise<void> {
    if (this.stopping) return;
    const swept = this.sweepAsked;
    this.sweepAsked = false;
    try {
      // What this node held before it restarted is taken back by the first pass that runs (with a connector up).
      const n = await this.claim(!this.ownRecovered);
      // Hand-overs come with every commit of a node without a bind: worth a line only when debugging.
      if (n > 0 && swept) this.deps.log.info({ claimed: n }, 'took over unfinished messages of a node that is gone');
      else if (n > 0) this.deps.log.debug({ claimed: n }, 'claimed messages another node handed over');
    } catch (err) {
      this.deps.log.error({ err }, 'could not claim unfinished messages');
    }
  }

  /** A connector came up or went down: parked messages get another chance. */
  connectorStateChanged(up: boolean): void {
    if (!up || this.parked.size === 0) return;
    const parked = [...this.parked];
    this.parked.clear();
    for (const id of parked) this.enqueue(id);
  }

  /** Stop dispatching, wait for in-flight submits (the connectors drain them). */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    this.heldForTime.clear();
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    if (this.claimTimer) clearInterval(this.claimTimer);
    if (this.scheduleTimer) clearInterval(this.scheduleTimer);
    await this.claimPass.idle();
    await this.schedulePass.idle();
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, drainMs);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  queueDepth(): number {
    return this.ready.length + this.parked.size + this.retryTimers.size;
  }

  stats(): { ready: number; parked: number; retrying: number; inFlight: number } {
    return { ready: this.ready.length, parked: this.parked.size, retrying: this.retryTimers.size, inFlight: this.inFlight };
  }

  /**
   * Claim due messages no live node holds (`own`: also this node's from before a restart) and queue them;
   * returns how many. Nothing while this node's own heartbeat is not current.
   */
  private async claim(own: boolean): Promise<number> {
    const cluster = this.deps.cluster!;
    let total = 0;
    for (;;) {
      // A node with no connector up takes nothing: it would only hand it back.
      if (this.stopping || !cluster.isMember() || ![...this.deps.connectors.values()].some((c) => c.isUp())) return total;
      if (own) this.ownRecovered = true;
      const claimed = await this.deps.repo.claimDue(cluster.nodeId, cluster.leaseMs, this.now(), 500, own ? this.startedAt : null);
      const now = this.now();
      for (const [id, at] of this.released) if (now - at > RECLAIM_AFTER_MS) this.released.delete(id);
      for (const message of claimed) {
        if (this.queued.has(message.id) || this.retryTimers.has(message.id) || this.parked.has(message.id) || this.dispatching.has(message.id)) continue;
        if (this.released.has(message.id)) {
          // Handed back moments ago: it is still for a node with a bind that can take it.
          void this.deps.committer
            // Told already, when first handed over: telling again would only wake this node's peers to no end.
            .run(() => this.deps.repo.release(message.id, cluster.nodeId, false))
            .catch((err: unknown) => this.deps.log.error({ err, messageId: message.id }, 'could not hand a message over'));
          continue;
        }
        this.fresh.set(message.id, message);
        this.enqueue(message.id);
      }
      total += claimed.length;
      if (claimed.length < 500) return total;
    }
  }

  private enqueue(id: string): void {
    if (this.stopping || this.queued.has(id) || this.dispatching.has(id)) return;
    this.queued.add(id);
    this.ready.push(id);
    this.pump();
  }

  private pump(): void {
    while (!this.stopping && this.inFlight < this.maxInFlight && this.ready.length > 0) {
      const id = this.ready.shift()!;
      this.queued.delete(id);
      // Counted in flight from here: a message read back from the store is on its way to a connector.
      this.inFlight++;
      this.dispatching.add(id);
      void this.dispatch(id)
        .catch((err: unknown) => {
          this.deps.log.error({ err, messageId: id }, 'could not read a message to send; it will be retried');
          this.scheduleRetry(id, this.deps.config.retry.initialMs);
          return false;
        })
        .then((submitting) => {
          if (!submitting) this.settleOne(id);
        });
    }
  }

  /** One dispatch ended without a submit (or its results are recorded): room for the next. */
  private settleOne(id: string): void {
    this.dispatching.delete(id);
    if (this.scheduleBacklog && this.heldForTime.size + this.ready.length <= this.scheduleHeldMax / 2) {
      this.scheduleBacklog = false;
      this.schedulePass.request();
    }
    this.inFlight--;
    this.metrics.inFlight.set(this.inFlight);
    if (this.inFlight === 0 && this.drained) this.drained();
    this.pump();
  }

  /** Hands the message to a connector; false when it was not submitted (gone, final, parked, cancelled). */
  private async dispatch(id: string): Promise<boolean> {
    if (this.changing.has(id)) return false;
    const cluster = this.deps.cluster;
    if (cluster && !cluster.isMember()) {
      // Our heartbeat is not current: another node may be taking this message. Look again later, from the store.
      this.fresh.clear();
      this.scheduleRetry(id, 1000);
      return false;
    }
    const fresh = this.fresh.get(id);
    this.fresh.delete(id);
    const message = fresh ?? (await this.deps.repo.get(id));
    if (!message || message.status !== MessageStatus.Accepted || this.changing.has(id)) return false;
    // Its time moved on while it was queued (replace_sm): held for that time instead.
    if (this.waitForSchedule(message)) return false;
    // Taken over while this node was cut off from the database: it is the other node's now.
    if (cluster && message.claimedBy !== cluster.nodeId) return false;
    const previousParts = message.attempts > 0 ? await this.deps.repo.parts(id) : [];
    // Parts of one message stay on one connector: a handset joins them by reference, not by route.
    const stickTo = previousParts.find((p) => p.status !== MessageStatus.Accepted)?.connectorId;
    const upElsewhere = cluster ? (id: string) => cluster.upElsewhere(id) : undefined;
    const connector = stickTo ? this.upConnector(stickTo) : this.deps.router.pick(message.sender, message.recipient, this.deps.connectors, upElsewhere);
    if (!connector) {
      if (!stickTo && !this.deps.router.hasRoute(message.sender, message.recipient)) {
        this.failWithoutRoute(message).catch((err: unknown) => {
          this.deps.log.error({ err, messageId: message.id }, 'could not fail a message without a route; it is tried again');
          this.scheduleRetry(message.id, this.deps.config.retry.initialMs);
        });
        return false;
      }
      if (cluster) {
        // No bind of ours can take it: hand it to the node that holds one (told at commit, it claims it then).
        this.released.set(id, this.now());
        void this.deps.committer
          .run(() => this.deps.repo.release(id, cluster.nodeId))
          .catch((err: unknown) => this.deps.log.error({ err, messageId: id }, 'could not hand a message over; it waits here instead'));
        return false;
      }
      this.parked.add(id);
      return false;
    }
    const plan = planSegments(message.text, { concat: connector.concatMode });
    const done = new Set(previousParts.filter((p) => p.status !== MessageStatus.Accepted).map((p) => p.partNo));
    const total = plan.parts.length;
    // One stored 16-bit reference; 8-bit UDH and SAR take its low octet (3GPP TS 23.040 §9.2.3.24.1).
    const reference = connector.concatMode === 'udh16' ? message.concatRef : message.concatRef & 0xff;
    const parts: SubmitPart[] = plan.parts
      .filter((p) => !done.has(p.seq))
      .map((p) => ({
        messageId: message.id,
        partNo: p.seq,
        partsTotal: total,
        sender: message.sender,
        recipient: message.recipient,
        dataCoding: plan.dataCoding,
        payload: p.payload,
        concat: total > 1 ? { reference, total, seq: p.seq } : null,
        wantReceipt: this.deps.config.requestReceipts,
        validUntil: message.expiresAt,
      }));
    this.metrics.inFlight.set(this.inFlight);
    const pipeline = this.pipeline(connector);
    const entered = pipeline ? (pipeline.tryEnter(parts.length) ?? (await pipeline.enter(parts.length))) : 0;
    void Promise.allSettled(parts.map((part) => connector.submit(part))).then((results) =>
      this.recordResults(message, connector, parts, results, previousParts, () => pipeline?.leave(entered)),
    );
    return true;
  }

  private pipeline(connector: Connector): SubmitPipeline | null {
    if (connector.pipelineLimit === undefined) return null;
    let pipeline = this.pipelines.get(connector.id);
    if (!pipeline) {
      pipeline = new SubmitPipeline(connector.pipelineLimit);
      this.pipelines.set(connector.id, pipeline);
    }
    return pipeline;
  }

  private upConnector(id: string): Connector | null {
    const connector = this.deps.connectors.get(id);
    return connector && connector.isUp() ? connector : null;
  }

  private async recordResults(
    /** As read before the submit: its result is written against this version (read again only if it changed). */
    sent: StoredMessage,
    connector: Connector,
    parts: SubmitPart[],
    results: PromiseSettledResult<string>[],
    /** Parts stored before this attempt (none on a first attempt: nothing is stored before the carrier answers). */
    storedParts: MessagePart[],
    /** The answers are on disk (or will not be): the parts leave the connector's pipeline. */
    committed: () => void,
  ): Promise<void> {
    const id = sent.id;
    const now = this.now();
    const updates: PartUpdate[] = [];
    let retryable: AppError | null = null;
    let permanent: AppError | null = null;
    let possiblySent = false;
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      const part = parts[i]!;
      const base = { partNo: part.partNo, partsTotal: part.partsTotal, connectorId: connector.id, at: now };
      if (result.status === 'fulfilled') {
        this.metrics.submitted.inc({ connector: connector.id });
        updates.push({ ...base, status: MessageStatus.Submitted, carrierId: result.value });
        continue;
      }
      const err = isAppError(result.reason)
        ? result.reason
        : new AppError(ErrorCode.SMPP_PROTOCOL, String((result.reason as Error)?.message ?? result.reason), { retryable: true, cause: result.reason });
      this.metrics.submitFailed.inc({ connector: connector.id, retryable: String(err.retryable) });
      if (err.details?.['possiblySent'] === true) possiblySent = true;
      if (err.retryable) {
        retryable ??= err;
        updates.push({ ...base, status: MessageStatus.Accepted });
      } else {
        permanent ??= err;
        updates.push({
          ...base,
          status: MessageStatus.Failed,
          carrierStatus: err.protocolStatus === undefined ? err.code : `0x${err.protocolStatus.toString(16).padStart(8, '0')}`,
          carrierError: err.message,
        });
      }
    }
    const failure: AppError | null = permanent ?? retryable;
    let retryAt: number | null = null;
    let written: WrittenStatus | undefined;
    // Held for the receipt, so that it is written without reading the message again (decision 0114).
    const holdForReceipt = parts.every((p) => p.wantReceipt);
    const holdInTransaction = holdForReceipt && this.deps.committer.serial;
    try {
      retryAt = await this.deps.committer.defer(async () => {
        // A clean attempt clears the error an earlier refused one left: a delivered message must not read as 'notsent'.
        const outcome = {
          ...(failure ? { errorCode: failure.code, errorText: failure.message } : { errorCode: null, errorText: null }),
          ...(possiblySent ? { possibleDuplicate: true } : {}),
        };
        written = await this.deps.statusWriter.write(id, updates, outcome, storedParts, sent);
        for (const update of updates) {
          if (update.carrierId !== undefined) await this.deps.receipts.matchWaiting(connector.id, update.carrierId);
        }
        // The receipt may come now: on a serial committer a receipt queued behind this write sees it as it sees its
        // rows, so it is held at once (flat out, most receipts come before this commit); else after the commit.
        if (holdInTransaction && written) this.deps.receipts.remember(connector.id, written);
        const message = written?.message;
        if (!message || message.status !== MessageStatus.Accepted || !retryable) return null;
        return this.scheduleAttempt(message, now);
      }, FOLLOW_UP_COMMIT_DELAY_MS);
      if (holdForReceipt && !holdInTransaction && written) this.deps.receipts.remember(connector.id, written);
    } catch (err) {
      // Rolled back (or not known to be on disk): what was held is not the stored row (decision 0114).
      if (holdInTransaction && written) this.deps.receipts.forget(connector.id, written);
      this.deps.log.error({ err, messageId: id }, 'could not record submit results; the message will be retried');
      retryAt = now + this.deps.config.retry.initialMs;
    }
    committed();
    this.deps.afterCommit?.();
    if (retryable?.code === ErrorCode.CONNECTOR_DOWN) {
      // A lost bind is one event, logged once by the bind; its parts in flight just go back to the queue.
      this.deps.log.debug({ messageId: id, connectorId: connector.id, reason: retryable.message }, 'submit interrupted by a lost bind; back in the queue');
    } else if (retryable) {
      this.deps.log.warn({ messageId: id, connectorId: connector.id, code: retryable.code, reason: retryable.message }, 'submit failed; will retry');
    }
    if (retryAt !== null) this.scheduleRetry(id, Math.max(0, retryAt - this.now()));
    this.settleOne(id);
  }

  /** Count the attempt and pick when to try again; returns that time. */
  private async scheduleAttempt(message: StoredMessage, now: number): Promise<number> {
    message.attempts += 1;
    message.nextAttemptAt = now + backoffDelay({ ...this.deps.config.retry, jitter: 0.2 }, message.attempts);
    await this.deps.repo.update(
      message,
      encodeEvents([
        {
          at: now,
          kind: 'retry',
          attempt: message.attempts,
          nextAttemptAt: message.nextAttemptAt,
          ...(message.errorCode ? { errorCode: message.errorCode } : {}),
          ...(message.errorText ? { errorText: message.errorText } : {}),
        },
      ]),
    );
    return message.nextAttemptAt;
  }

  private dropTimer(id: string): void {
    clearTimeout(this.retryTimers.get(id));
    this.retryTimers.delete(id);
    this.heldForTime.delete(id);
  }

  /** Hold a scheduled message for its time, once (a timer already set for it stands). */
  private holdForTime(id: string, sendAt: number, now: number): void {
    if (this.stopping || this.retryTimers.has(id)) return;
    this.heldForTime.add(id);
    this.scheduleRetry(id, Math.max(0, sendAt - now));
  }

  private scheduleRetry(id: string, delayMs: number): void {
    if (this.stopping || this.retryTimers.has(id)) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(id);
      this.heldForTime.delete(id);
      this.enqueue(id);
    }, delayMs);
    timer.unref();
    this.retryTimers.set(id, timer);
  }

  private async failWithoutRoute(message: StoredMessage): Promise<void> {
    // The dial plan changed since the message was accepted (config reload): fail it visibly.
    await this.deps.committer.run(() =>
      this.deps.statusWriter.finish(message, MessageStatus.Failed, { errorCode: ErrorCode.ROUTE_NOT_FOUND, errorText: 'no route' }, this.now()),
    );
    this.deps.afterCommit?.();
  }

  /** Messages no connector took within retry.maxAgeHours (of their acceptance, or of their send time) expire. */
  private async expireStale(): Promise<void> {
    const cutoff = this.now() - this.deps.config.retry.maxAgeHours * 3_600_000;
    const stale = await this.deps.repo.listPendingSince(cutoff, this.deps.cluster?.nodeId ?? null);
    if (stale.length === 0) return;
    await this.deps.committer
      .run(async () => {
        for (const message of stale) {
          this.dropTimer(message.id);
          this.parked.delete(message.id);
          this.fresh.delete(message.id);
          await this.deps.statusWriter.finish(
            message,
            MessageStatus.Expired,
            { errorCode: ErrorCode.CONNECTOR_DOWN, errorText: `not accepted by any carrier within ${this.deps.config.retry.maxAgeHours} h` },
            this.now(),
          );
        }
      })
      .then(() => this.deps.afterCommit?.())
      .catch((err: unknown) => this.deps.log.error({ err }, 'expiry sweep failed'));
  }
}

/** The text's parts and encoding, or MESSAGE_TOO_LONG past `maxParts` (null: the dialect checked the length itself). */
function estimateWithin(text: string, maxParts: number | null): ReturnType<typeof estimateSegments> {
  const estimate = estimateSegments(text);
  if (maxParts !== null && estimate.parts > maxParts) {
    throw new AppError(ErrorCode.MESSAGE_TOO_LONG, `message needs ${estimate.parts} parts; at most ${maxParts} are allowed`, {
      details: { field: 'text', parts: estimate.parts, maxParts },
    });
  }
  return estimate;
}

/** A send time still to come, or null (at once); MESSAGE_SCHEDULE_INVALID when it is not before the expiry. */
function sendTime(wanted: number | null, expiresAt: number | null, now: number): number | null {
  const sendAt = wanted !== null && wanted > now ? wanted : null;
  if (sendAt !== null && expiresAt !== null && sendAt >= expiresAt) {
    throw new AppError(ErrorCode.MESSAGE_SCHEDULE_INVALID, 'the message would expire before its send time', {
      details: { field: 'sendAt', sendAt, expiresAt },
    });
  }
  return sendAt;
}
