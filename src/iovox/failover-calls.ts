/**
 * SMS-to-voice failover calls (IOVOX c2c_failover_link_id, IOVOX's SMS API v3 reference): an SMS
 * that ended FAILED or EXPIRED with a failover link becomes a call to its
 * destination through the link's trunk, presenting the link's caller id, on
 * which the link's call flow runs with `$sms_origin` and `$content`.
 *
 * Durable by construction: the SMS core records the failover in
 * `sms_failovers` inside the status transaction (record()), and this queue
 * works only from that table (sms-failover-repo.ts has the state machine).
 * A busy, unanswered or unreachable callee puts the row back to `pending`
 * with a later next_attempt_at (doubling back-off) until maxAttempts calls
 * were placed; a crash mid-call leaves `calling`, which start() turns back
 * into `pending`. So a call may be placed twice, never lost.
 *
 * Done means the callee answered and the flow ran to its end, or the callee
 * hung up during it (they heard it start: calling again would be a nuisance).
 * Until start() is called (voice disabled) failovers are only recorded.
 */
import type { DueFailover, SmsFailoverRepo } from '../store/sms-failover-repo.js';
import type { Logger } from '../shared/log.js';
import type { ClusterView } from '../shared/cluster-view.js';
import { AppError, ErrorCode } from '../shared/errors.js';
import { backoffDelay } from '../shared/backoff.js';
import type { SmsFailoverEvent, SmsFailoverHandler } from './failover-event.js';
import type { CallService } from '../voice/calls.js';
import type { CallSession } from '../voice/call-session.js';
import { trunkTarget, type TrunkConfig } from '../voice/trunks.js';
import type { FailoverCallsConfig } from './config.js';
import type { FailoverLink } from './failover-links.js';
import { runCallFlow, type FlowRunDeps, type FlowRunResult } from './flow/run-call-flow.js';

export interface FailoverCallsRuntime {
  calls: Pick<CallService, 'dial'>;
  links: ReadonlyMap<string, FailoverLink>;
  trunks: readonly TrunkConfig[];
  /** The outbox and address book the flows' sendSms rules use. */
  flows: FlowRunDeps;
}

/** How one attempt ended, for the row. */
type AttemptOutcome = { kind: 'done'; note: string | null } | { kind: 'retry'; error: string } | { kind: 'failed'; error: string };

export class FailoverCalls implements SmsFailoverHandler {
  private runtime: FailoverCallsRuntime | null = null;
  private readonly active = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private recoveryTimer: NodeJS.Timeout | null = null;
  private pumpQueued = false;
  /** A row was recorded since the last look: the next commit makes it due. */
  private recorded = false;
  private stopping = false;
  /** After stop(): the store may be closed, so late attempts write nothing. */
  private stopped = false;

  constructor(
    private readonly repo: SmsFailoverRepo,
    private readonly config: FailoverCallsConfig,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** Several nodes share the store: each call is placed by the node that claimed it; a gone node's are placed again. */
    private readonly cluster: ClusterView | null = null,
  ) {}

  /** Inside the status transaction: only the row (idempotent: ON CONFLICT DO NOTHING). */
  async record(event: SmsFailoverEvent): Promise<void> {
    if (!(await this.repo.insertPending(event, event.at))) return;
    this.recorded = true;
    this.log.info(
      { messageId: event.messageId, linkId: event.linkId, smsStatus: event.smsStatus },
      this.runtime ? 'SMS failed: failover call queued' : 'SMS failed: failover call recorded as pending (no voice runtime yet: placed once it starts)',
    );
  }

  /**
   * Called after every commit of the node (thousands a second under SMS load):
   * look for due work only when a failover was recorded. Retries come due on
   * the timer and finished calls look again themselves.
   */
  afterCommit(): void {
    if (!this.recorded) return;
    this.recorded = false;
    this.kick();
  }

  /** Start placing calls: first the ones a crash cut off, then whatever is due. */
  async start(runtime: FailoverCallsRuntime): Promise<void> {
    this.runtime = runtime;
    const recovered = await this.repo.recoverCalling(this.now(), this.clusterScope(true));
    if (recovered > 0) this.log.warn({ recovered }, 'failover calls cut off by a restart are placed again');
    // In a cluster, look every lease for calls a gone node left behind (pump() recovers them).
    if (this.cluster) {
      this.recoveryTimer = setInterval(() => this.kick(), this.cluster.leaseMs);
      this.recoveryTimer.unref();
    }
    this.kick();
  }

  /**
   * No new calls; resolves when the calls in progress have settled (they end
   * when the voice runtime stops), or after `waitMs`: a call still ringing
   * must not hold up shutdown. Its row stays `calling` and the next start
   * places it again.
   */
  async stop(waitMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.recoveryTimer) clearInterval(this.recoveryTimer);
    this.timer = null;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.active.values()]), new Promise<void>((resolve) => (timeout = setTimeout(resolve, waitMs)))]);
    clearTimeout(timeout);
    this.stopped = true;
  }

  get inProgress(): number {
    return this.active.size;
  }

  /** Look for due work soon (coalesced: many commits, one look). */
  kick(): void {
    if (!this.runtime || this.stopping || this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump().catch((err: unknown) => this.log.error({ err }, 'could not read the failover calls that are due; trying again at the next commit'));
    });
  }

  private async pump(): Promise<void> {
    if (!this.runtime || this.stopping) return;
    // Calls a gone node left `calling` are pending again for whoever places calls next.
    if (this.cluster?.isMember()) await this.repo.recoverCalling(this.now(), this.clusterScope(false));
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const free = this.config.maxConcurrent - this.active.size;
    if (free <= 0) return; // a finishing call pumps again
    for (const row of await this.repo.due(this.now(), free)) {
      if (this.active.has(row.messageId) || !(await this.repo.claim(row.messageId, this.now(), this.cluster?.nodeId ?? null))) continue;
      const attempt = this.attempt(row, this.runtime)
        .catch((err: unknown) => this.log.error({ err, messageId: row.messageId }, 'failover call could not be written back: placed again at the next start'))
        .finally(() => {
          this.active.delete(row.messageId);
          this.kick();
        });
      this.active.set(row.messageId, attempt);
    }
    if (this.active.size >= this.config.maxConcurrent) return;
    const next = await this.repo.nextDueAt();
    if (next !== null && !this.stopping) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.kick(), Math.max(10, next - this.now()));
      this.timer.unref();
    }
  }

  private async attempt(row: DueFailover, runtime: FailoverCallsRuntime): Promise<void> {
    const attempt = row.attempts + 1; // claim() counted it in the row, not in `row`
    const log = this.log.child({ messageId: row.messageId, linkId: row.linkId, attempt });
    let outcome: AttemptOutcome;
    try {
      outcome = await this.call(row, runtime, log);
    } catch (err) {
      outcome = { kind: 'retry', error: (err as Error).message };
    }
    if (this.stopped) {
      log.warn({ outcome }, 'failover call ended after shutdown: its row stays calling and is placed again at the next start');
      return;
    }
    const now = this.now();
    if (outcome.kind === 'retry' && attempt >= this.config.maxAttempts)
      outcome = { kind: 'failed', error: `${outcome.error} (gave up after ${attempt} attempts)` };
    if (outcome.kind === 'retry' && this.stopping) {
      // Cut off by our own shutdown: not the callee's fault, so the next start tries again at once.
      await this.repo.retryLater(row.messageId, now, outcome.error, now);
      log.info({ error: outcome.error }, 'failover call cut off by shutdown: pending again');
    } else if (outcome.kind === 'retry') {
      const delay = backoffDelay({ initialMs: this.config.retryInitialMs, maxMs: this.config.retryMaxMs, factor: 2 }, attempt);
      await this.repo.retryLater(row.messageId, now + delay, outcome.error, now);
      log.warn({ error: outcome.error, retryInMs: delay }, 'failover call failed: will call again');
    } else if (outcome.kind === 'failed') {
      await this.repo.finish(row.messageId, 'failed', outcome.error, now);
      log.error({ error: outcome.error }, 'failover call given up');
    } else {
      await this.repo.finish(row.messageId, 'done', outcome.note, now);
      log.info({ note: outcome.note }, 'failover call done');
    }
  }

  private clusterScope(own: boolean): { nodeId: string; leaseMs: number; own: boolean } | null {
    return this.cluster ? { nodeId: this.cluster.nodeId, leaseMs: this.cluster.leaseMs, own } : null;
  }

  /** Place the call and run the flow; throws (→ retry) when the call is not answered. */
  private async call(row: DueFailover, runtime: FailoverCallsRuntime, log: Logger): Promise<AttemptOutcome> {
    const link = runtime.links.get(row.linkId);
    if (!link) return { kind: 'failed', error: `failover link '${row.linkId}' is not configured (any more)` };
    const trunk = runtime.trunks.find((t) => t.id === link.trunk);
    if (!trunk) return { kind: 'failed', error: `failover link '${row.linkId}': no trunk '${link.trunk}' in voice.trunks` };

    let flowResult: FlowRunResult | null = null;
    let flowError: unknown = null;
    let flowDone!: () => void;
    const flowFinished = new Promise<void>((resolve) => (flowDone = resolve));
    const target = trunkTarget(trunk, row.destination);
    log.info({ target, callerId: link.callerId }, 'placing failover call');
    const session: CallSession = await runtime.calls.dial(
      { target, callerId: link.callerId, timeoutMs: this.config.ringTimeoutMs, ...(trunk.auth ? { auth: trunk.auth } : {}) },
      async (call) => {
        try {
          flowResult = await runCallFlow(
            call,
            { flow: link.flow, user: row.user, variables: { sms_origin: row.origin, content: row.content }, bindings: link.bindings },
            runtime.flows,
          );
        } catch (err) {
          flowError = err;
          throw err;
        } finally {
          flowDone();
        }
      },
    );
    await flowFinished;
    // Done only once the call is over (CallService hangs up when the flow returns).
    const endReason = await session.sip.ended;
    const result = flowResult as FlowRunResult | null;
    if (flowError || !result) {
      throw new AppError(ErrorCode.IOVOX_FAILOVER_CALL_FAILED, `the call flow failed: ${(flowError as Error | null)?.message ?? 'no result'}`, {
        cause: flowError,
        retryable: true,
      });
    }
    if (result.outcome === 'caller-hung-up' && endReason !== 'remote-hangup') {
      throw new AppError(ErrorCode.IOVOX_FAILOVER_CALL_FAILED, `the call ended before the flow did (${endReason})`, { retryable: true });
    }
    const note =
      result.errors.length > 0
        ? result.errors.map((e) => `${e.ruleId}: ${e.text}`).join('; ')
        : result.outcome === 'caller-hung-up'
          ? 'the callee hung up during the flow'
          : null;
    return { kind: 'done', note };
  }
}
