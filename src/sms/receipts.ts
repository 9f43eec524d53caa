/**
 * Delivery receipts → part statuses → message status. A receipt is matched
 * to exactly one part, by connector and carrier id, read under the
 * connector's carrier-id convention (carrier-id-convention.ts): a receipt
 * never settles another message. One that matches nothing yet is kept
 * durably and matched when the submit_sm_resp it belongs to is recorded, or,
 * while an `auto` convention is still learning, tried under the numeric
 * readings once it has waited `settleMs`; after `keepUnmatchedMs` it is given
 * up. Ambiguous and given-up receipts are counted and logged.
 */
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import type { Committer } from '../store/sql.js';
import type { MessageRepo } from '../store/message-repo.js';
import type { UnmatchedReceiptRepo } from '../store/unmatched-receipt-repo.js';
import type { Logger } from '../shared/log.js';
import { normalizeCarrierId, receiptFormOf, submitFormOf, type CarrierIdRelation } from './carrier-id.js';
import { CarrierIdConvention, type CarrierIdFormat } from './carrier-id-convention.js';
import { FOLLOW_UP_COMMIT_DELAY_MS } from './follow-up-commit.js';
import type { ReceiptEvent } from './connectors/connector.js';
import type { PartUpdate, StatusWriter, WrittenStatus } from './status-writer.js';
import { isFinal, type MessagePart } from './message.js';
import { AwaitingReceipts } from './awaiting-receipts.js';

/** What receipts need of the store (the ports; store/message-repo.ts and unmatched-receipt-repo.ts implement them). */
export type ReceiptPartStore = Pick<MessageRepo, 'findPartsByCarrierId'>;
export type UnmatchedReceiptStore = Pick<UnmatchedReceiptRepo, 'insert' | 'find' | 'settled' | 'delete' | 'purgeOlderThan' | 'count'>;

export interface ReceiptProcessorDeps {
  repo: ReceiptPartStore;
  unmatched: UnmatchedReceiptStore;
  /**
   * Several nodes share the store: a receipt another node keeps waiting is not in this node's count, so the
   * waiting receipts are always looked at (a submit result recorded here may be the one it waits for).
   */
  shared?: boolean;
  /** Runs each receipt as one transaction (the group committer); a receipt may wait to share one. */
  committer: Pick<Committer, 'run' | 'defer'>;
  statusWriter: StatusWriter;
  log: Logger;
  registry?: Registry;
  afterCommit?: () => void;
  now?: () => number;
  keepUnmatchedMs?: number;
  /** Each connector's `carrierIdFormat`; connectors not named are `auto`. */
  carrierIdFormats?: ReadonlyMap<string, CarrierIdFormat>;
  /** How long a receipt without an exact match waits before a learning connector tries the numeric readings. */
  settleMs?: number;
}

/** How much earlier than its part's submit result a report on a recycled id may be recorded (one commit, with room to spare). */
const RECYCLED_ID_RACE_MS = 30_000;

/**
 * Shared store: when a receipt kept waiting is looked for once more. Its part's submit result may have been
 * committing beside it (PostgreSQL commits several transactions at once, and another node commits its own), each
 * transaction blind to the other's row: the result's `matchWaiting` did not see the receipt, and the receipt did
 * not see the part. Commits take milliseconds; without this the receipt waited for the settle pass (`settleMs`,
 * 2 s, then up to a second more): request → callback p99 3.6 s on one PostgreSQL node (bench/RESULTS.md, session 17).
 */
const SHARED_RECHECK_MS = 100;

type Outcome = { kind: 'applied' } | { kind: 'waiting' } | { kind: 'ambiguous'; parts: string[] };

export class ReceiptProcessor {
  private readonly now: () => number;
  private readonly received: Counter<'connector' | 'matched'>;
  private readonly unresolved: Counter<'connector' | 'reason'>;
  private readonly conventions = new Map<string, CarrierIdConvention>();
  /**
   * Waiting receipts up to this id were tried under the numeric readings once; they are tried again only
   * after a convention is learned (a cursor, so old receipts that never match cannot starve newer ones).
   */
  private settledThroughId = 0;
  /** A convention was learned: every waiting receipt is tried again under it on the next pass. */
  private rescan = false;
  private purgeTimer: NodeJS.Timeout | null = null;
  /** Waiting receipts to look at once more (shared store). */
  private readonly rechecks = new Set<NodeJS.Timeout>();
  private settleTimer: NodeJS.Timeout | null = null;
  /** Receipts waiting for their part; while none wait, recording a carrier id skips the lookup. */
  private waiting = 0;
  /** Parts this node submitted, held for their receipt (a node with the store to itself; decision 0114). */
  private readonly awaiting: AwaitingReceipts | null;

  constructor(private readonly deps: ReceiptProcessorDeps) {
    this.now = deps.now ?? Date.now;
    this.awaiting = deps.shared ? null : new AwaitingReceipts();
    this.received = new Counter({
      name: 'telenode_sms_receipts_total',
      help: 'Delivery receipts received, by whether they matched a part on arrival',
      labelNames: ['connector', 'matched'],
      registers: deps.registry ? [deps.registry] : [],
    });
    this.unresolved = new Counter({
      name: 'telenode_sms_receipts_unresolved_total',
      help: 'Receipts applied to no part: ambiguous (two readings of the id found different parts) or given up unmatched',
      labelNames: ['connector', 'reason'],
      registers: deps.registry ? [deps.registry] : [],
    });
  }

  /** The convention receipts of this connector are read under (learning, for `auto`, until it has seen enough). */
  convention(connectorId: string): CarrierIdConvention {
    let convention = this.conventions.get(connectorId);
    if (!convention) {
      convention = new CarrierIdConvention(this.deps.carrierIdFormats?.get(connectorId) ?? 'auto', (relation) => {
        this.deps.log.info(
          { connectorId, relation },
          `receipts quote carrier ids as ${relation === 'string' ? 'submit_sm_resp gave them' : relation === 'hex' ? 'decimal for hex submit ids' : 'hex for decimal submit ids'} (learned)`,
        );
        this.rescan = true;
      });
      this.conventions.set(connectorId, convention);
    }
    return convention;
  }

  /**
   * A submit result was written (in its transaction on a serial committer, else after the commit): hold a one-part
   * message and its part for the receipt, so the receipt can be written without reading them again (decision 0114).
   */
  remember(connectorId: string, written: WrittenStatus): void {
    const part = this.awaiting ? heldPart(connectorId, written) : null;
    if (part) this.awaiting!.remember(connectorId, normalizeCarrierId(part.carrierId!), { message: written.message, part });
  }

  /** The transaction that wrote `written` was rolled back: what `remember` held for it is not the stored row. */
  forget(connectorId: string, written: WrittenStatus): void {
    const part = this.awaiting ? heldPart(connectorId, written) : null;
    if (part) this.awaiting!.forget(connectorId, normalizeCarrierId(part.carrierId!), written.message);
  }

  /** The connector's binds went down: parts held for its receipts go back to being looked up in the store. */
  connectorDown(connectorId: string): void {
    this.awaiting?.forgetConnector(connectorId);
  }

  /** Count the receipts a previous run left waiting (before the connectors start). */
  async loadWaiting(): Promise<void> {
    this.waiting = await this.deps.unmatched.count();
  }

  /** Store the receipt's effect durably; resolves after commit (then the connector acks). */
  async handle(event: ReceiptEvent): Promise<void> {
    // A busy event loop reads a submit_sm_resp and the deliver_sm that follows it 10 ms later in one socket read:
    // the receipt's handler runs first, the submit result is recorded a few promise hops later and would land
    // behind it in the same commit, so the receipt would wait as unmatched (three more statements and a later
    // match). One turn of the loop lets the submit result queue first; a receipt that really comes before its
    // submit_sm_resp still waits and is matched then (matchWaiting).
    await new Promise<void>((resolve) => setImmediate(resolve));
    const matched = await this.deps.committer.defer(async () => {
      if ((await this.apply(event, false)).kind === 'applied') return true;
      await this.deps.unmatched.insert(event, normalizeCarrierId(event.carrierId), this.now());
      this.waiting++;
      return false;
    }, FOLLOW_UP_COMMIT_DELAY_MS);
    this.received.inc({ connector: event.connectorId, matched: String(matched) });
    if (!matched) {
      this.deps.log.debug({ connectorId: event.connectorId, carrierId: event.carrierId }, 'receipt for an unknown id kept for later matching');
      if (this.deps.shared) this.recheckSoon(event);
    }
    this.deps.afterCommit?.();
  }

  /** Look for a waiting receipt's part once more, after the transactions committing beside it are done. */
  private recheckSoon(event: ReceiptEvent): void {
    const timer = setTimeout(() => {
      this.rechecks.delete(timer);
      void this.deps.committer
        .run(() => this.matchKept(event))
        .then((applied) => {
          if (applied) this.deps.afterCommit?.();
        })
        .catch((err: unknown) => this.deps.log.error({ err }, 'looking again for a waiting receipt failed; the settle pass will'));
    }, SHARED_RECHECK_MS);
    timer.unref();
    this.rechecks.add(timer);
  }

  /**
   * The kept copies of this receipt (and any other waiting on its id), applied if their part is there now.
   * Applying one twice (here and in another node's `matchWaiting`) changes nothing the second time.
   */
  private async matchKept(event: ReceiptEvent): Promise<boolean> {
    let applied = false;
    for (const receipt of await this.deps.unmatched.find(event.connectorId, [normalizeCarrierId(event.carrierId)])) {
      if ((await this.apply(receipt.event, false)).kind !== 'applied') continue;
      await this.forgetWaiting(receipt.id);
      applied = true;
    }
    return applied;
  }

  /**
   * Inside the transaction that records a part's carrier id: apply receipts
   * that arrived before it (those that quote this id under the connector's relation;
   * exactly, while it is still learning).
   */
  async matchWaiting(connectorId: string, carrierId: string): Promise<void> {
    if (this.waiting === 0 && !this.deps.shared) return;
    const form = receiptFormOf(carrierId, this.convention(connectorId).relation ?? 'string');
    if (form === null) return;
    for (const receipt of await this.deps.unmatched.find(connectorId, [form])) {
      // A recycled id (a modem's TP-MR) names a new part every 256 messages: a report that waited longer than
      // the submit-result race is about an older part, and must not settle the one that reuses its reference.
      if (receipt.event.idRecycles && this.now() - receipt.receivedAt > RECYCLED_ID_RACE_MS) continue;
      if ((await this.apply(receipt.event, false)).kind === 'applied') await this.forgetWaiting(receipt.id);
    }
  }

  /** Try waiting receipts under the numeric readings once they have waited `settleMs` (learning connectors). */
  startSettling(intervalMs = 1000): void {
    this.settleTimer = setInterval(() => {
      if (this.waiting === 0 && !this.deps.shared) return;
      void this.deps.committer
        .run(() => this.settle())
        .then((applied) => {
          if (applied > 0) this.deps.afterCommit?.();
        })
        .catch((err: unknown) => this.deps.log.error({ err }, 'settling waiting receipts failed'));
    }, intervalMs);
    this.settleTimer.unref();
  }

  /** One pass over the receipts that have waited long enough; returns how many were applied. */
  async settle(): Promise<number> {
    let applied = 0;
    if (this.rescan) {
      this.rescan = false;
      this.settledThroughId = 0;
    }
    for (const receipt of await this.deps.unmatched.settled(this.settledThroughId, this.now() - (this.deps.settleMs ?? 2000), 500)) {
      this.settledThroughId = Math.max(this.settledThroughId, receipt.id);
      const outcome = await this.apply(receipt.event, true);
      if (outcome.kind === 'applied') {
        await this.forgetWaiting(receipt.id);
        applied++;
      } else if (outcome.kind === 'ambiguous') {
        this.unresolved.inc({ connector: receipt.event.connectorId, reason: 'ambiguous' });
        this.deps.log.warn(
          { connectorId: receipt.event.connectorId, carrierId: receipt.event.carrierId, parts: outcome.parts },
          'receipt id reads as two different parts (hex and decimal): applied to neither; set carrierIdFormat on the connector',
        );
      }
    }
    if (this.rescan) this.settledThroughId = 0; // learned during this pass: start over under the new relation
    return applied;
  }

  private async forgetWaiting(id: number): Promise<void> {
    await this.deps.unmatched.delete(id);
    this.waiting = Math.max(0, this.waiting - 1);
  }

  startPurge(intervalMs = 60_000): void {
    const keep = this.deps.keepUnmatchedMs ?? 24 * 3_600_000;
    this.purgeTimer = setInterval(() => {
      void this.deps.committer
        .run(async () => {
          const dropped = await this.deps.unmatched.purgeOlderThan(this.now() - keep);
          this.waiting = await this.deps.unmatched.count();
          return dropped;
        })
        .then((n) => {
          if (n > 0) {
            this.unresolved.inc({ connector: 'any', reason: 'unmatched' }, n);
            this.deps.log.warn({ dropped: n }, 'receipts that never matched a sent part were dropped');
          }
        })
        .catch((err: unknown) => this.deps.log.error({ err }, 'unmatched receipt purge failed'));
    }, intervalMs);
    this.purgeTimer.unref();
  }

  stop(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    if (this.settleTimer) clearInterval(this.settleTimer);
    for (const timer of this.rechecks) clearTimeout(timer);
    this.rechecks.clear();
  }

  /**
   * Apply the receipt to the one part it is about, if that part can be told. `settled`: the receipt has
   * waited, so a learning connector may try the numeric readings of its id.
   */
  private async apply(event: ReceiptEvent, settled: boolean): Promise<Outcome> {
    const convention = this.convention(event.connectorId);
    const relation = convention.relation;
    if (await this.appliedToHeld(event, relation ?? 'string')) {
      if (relation === null && /^[0-9a-f]+$/.test(normalizeCarrierId(event.carrierId))) convention.observe('string');
      return { kind: 'applied' };
    }
    if (relation !== null) {
      const part = await this.partFor(event, relation);
      return part ? this.applyTo(part, event) : { kind: 'waiting' };
    }
    const exact = await this.partFor(event, 'string');
    if (exact) {
      if (/^[0-9a-f]+$/.test(normalizeCarrierId(event.carrierId))) convention.observe('string');
      return this.applyTo(exact, event);
    }
    if (!settled) return { kind: 'waiting' };
    const hits: Array<{ relation: 'hex' | 'decimal'; part: MessagePart }> = [];
    for (const r of ['hex', 'decimal'] as const) {
      const part = await this.partFor(event, r);
      if (part) hits.push({ relation: r, part });
    }
    if (hits.length > 1) return { kind: 'ambiguous', parts: hits.map((h) => `${h.part.messageId}#${h.part.partNo} (${h.relation}: ${h.part.carrierId})`) };
    if (hits.length === 0) return { kind: 'waiting' };
    convention.observe(hits[0]!.relation);
    return this.applyTo(hits[0]!.part, event);
  }

  private async partFor(event: ReceiptEvent, relation: CarrierIdRelation): Promise<MessagePart | null> {
    const form = submitFormOf(event.carrierId, relation);
    return form === null ? null : onePart(await this.deps.repo.findPartsByCarrierId(event.connectorId, [form]), event.idRecycles === true);
  }

  /**
   * The receipt written against the part this node holds for its id (under `relation`), if it holds one and the
   * message has not changed since; false otherwise, with nothing written, and the store is asked as before. The
   * entry is used up either way: the part's next receipt, if any, goes to the store.
   */
  private async appliedToHeld(event: ReceiptEvent, relation: CarrierIdRelation): Promise<boolean> {
    if (!this.awaiting || event.idRecycles) return false;
    const form = submitFormOf(event.carrierId, relation);
    const held = form === null ? undefined : this.awaiting.take(event.connectorId, form);
    if (!held) return false;
    return (await this.deps.statusWriter.writeIfUnchanged(held.message, [held.part], [this.updateFor(held.part, event)])) !== undefined;
  }

  private async applyTo(part: MessagePart, event: ReceiptEvent): Promise<Outcome> {
    // A one-part message's only part is the one just found: no need to read its parts again.
    const stored = part.partsTotal === 1 ? [part] : undefined;
    await this.deps.statusWriter.applyParts(part.messageId, [this.updateFor(part, event)], {}, stored);
    return { kind: 'applied' };
  }

  private updateFor(part: MessagePart, event: ReceiptEvent): PartUpdate {
    return {
      partNo: part.partNo,
      partsTotal: part.partsTotal,
      connectorId: part.connectorId,
      status: event.status,
      carrierStatus: event.stat,
      carrierError: event.err,
      at: this.now(),
    };
  }
}

/**
 * Of the parts sharing one carrier id (ids recycle: a modem's TP-MR wraps at
 * 256, an SMSC's counter restarts), the one a receipt can be about: the most
 * recently submitted that is still waiting for its final status, else the
 * most recent (a repeated receipt, which the status machine ignores). Where
 * ids recycle quickly (`recycles`), a receipt with no open part waits: it is
 * for a part whose id is not recorded yet, not for the finished one.
 */
function onePart(parts: MessagePart[], recycles: boolean): MessagePart | null {
  const latest = (candidates: MessagePart[]) =>
    candidates.reduce<MessagePart | null>((best, p) => (!best || (p.submittedAt ?? 0) > (best.submittedAt ?? 0) ? p : best), null);
  const open = latest(parts.filter((p) => !isFinal(p.status)));
  return recycles ? open : (open ?? latest(parts));
}

/** The part of a one-part message that a receipt can still settle, sent on this connector; null for anything else. */
function heldPart(connectorId: string, written: WrittenStatus): MessagePart | null {
  const part = written.parts.size === 1 ? written.parts.values().next().value! : null;
  return part && part.carrierId !== null && part.connectorId === connectorId && !isFinal(part.status) ? part : null;
}
