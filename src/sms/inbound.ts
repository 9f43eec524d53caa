/**
 * Inbound (MO) SMS: single messages are stored at once; parts of a
 * concatenated one are stored as fragments (durably, so a restart loses
 * nothing) and joined when the last arrives, or after the reassembly timeout
 * with what came (flagged incomplete). Fragments are keyed by connector,
 * sender, recipient, reference and total, never by reference alone. A
 * delivered group is remembered for the reassembly window: a part the SMSC
 * sends again after the group was joined (its deliver_sm_resp got lost) is
 * acknowledged and dropped, not the start of a second, partial message.
 * The notifier runs in the same transaction to enqueue the IncomingSMS callback.
 * A message to a number whose SMS is switched off (`accepts` says no) is
 * dropped once complete: neither stored nor posted.
 */
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import type { Committer } from '../store/sql.js';
import type { InboundMessage, InboundRepo, StoredFragment } from '../store/inbound-repo.js';
import type { Logger } from '../shared/log.js';
import type { InboundFragment } from './connectors/connector.js';
import { decodeShortMessage } from './encoding/index.js';
import { newId } from '../shared/ids.js';

export type InboundNotifier = (message: InboundMessage) => Promise<void>;

/** What inbound needs of the store (the port; store/inbound-repo.ts implements it). */
export type InboundStore = Pick<
  InboundRepo,
  | 'insertMessage'
  | 'insertFragment'
  | 'siblings'
  | 'deleteSiblings'
  | 'oldestStale'
  | 'rememberCompleted'
  | 'completedSince'
  | 'forgetCompletedBefore'
  | 'lockGroup'
>;

export interface InboundServiceDeps {
  repo: InboundStore;
  /** Runs each receive and sweep as one transaction (the group committer). */
  committer: Pick<Committer, 'run'>;
  notify: InboundNotifier;
  log: Logger;
  reassemblyTimeoutMs: number;
  registry?: Registry;
  afterCommit?: () => void;
  now?: () => number;
  /** False for a recipient that must not receive SMS (switched off); default: every recipient. */
  accepts?: (recipient: string) => boolean;
}

/** A complete message that was dropped because its recipient does not receive SMS. */
interface Refused {
  refused: InboundMessage;
}

export class InboundService {
  private readonly now: () => number;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly counter: Counter<'connector' | 'complete'>;
  private readonly refusedCounter: Counter<'connector'>;
  private readonly repeatedCounter: Counter<'connector'>;

  constructor(private readonly deps: InboundServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.counter = new Counter({
      name: 'telenode_sms_inbound_total',
      help: 'Inbound messages stored, by whether all parts arrived',
      labelNames: ['connector', 'complete'],
      registers: deps.registry ? [deps.registry] : [],
    });
    this.refusedCounter = new Counter({
      name: 'telenode_sms_inbound_refused_total',
      help: 'Inbound messages dropped because their recipient has SMS switched off',
      labelNames: ['connector'],
      registers: deps.registry ? [deps.registry] : [],
    });
    this.repeatedCounter = new Counter({
      name: 'telenode_sms_inbound_repeated_parts_total',
      help: 'Parts of concatenated inbound messages that arrived again after their message was delivered (dropped)',
      labelNames: ['connector'],
      registers: deps.registry ? [deps.registry] : [],
    });
  }

  /** Resolves after the fragment (and the message, if complete) is committed. */
  async receive(fragment: InboundFragment): Promise<InboundMessage | null> {
    const outcome = await this.deps.committer.run(() => this.store(fragment));
    if (outcome && 'refused' in outcome) {
      this.logRefused(outcome.refused);
      return null;
    }
    const message = outcome;
    if (message) {
      this.counter.inc({ connector: message.connectorId, complete: String(message.complete) });
      this.deps.log.info({ connectorId: message.connectorId, inboundId: message.id, parts: message.partsTotal }, 'inbound SMS stored');
    }
    this.deps.afterCommit?.();
    return message;
  }

  start(intervalMs = Math.min(10_000, Math.max(250, this.deps.reassemblyTimeoutMs / 4))): void {
    this.sweepTimer = setInterval(() => {
      // The store may be out of reach (PostgreSQL restarting): the groups wait for the next pass.
      this.sweep().catch((err: unknown) => this.deps.log.error({ err }, 'inbound reassembly sweep failed; trying again at the next'));
    }, intervalMs);
    this.sweepTimer.unref();
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }

  /** Deliver groups whose missing parts did not come within the timeout. */
  async sweep(): Promise<number> {
    const cutoff = this.now() - this.deps.reassemblyTimeoutMs;
    const outcomes = await this.deps.committer.run(async () => {
      const done: Array<{ outcome: InboundMessage | Refused; got: number; total: number }> = [];
      await this.deps.repo.forgetCompletedBefore(cutoff);
      for (let stale = await this.deps.repo.oldestStale(cutoff); stale; stale = await this.deps.repo.oldestStale(cutoff)) {
        const parts = await this.deps.repo.siblings(stale);
        await this.deps.repo.deleteSiblings(stale);
        await this.deps.repo.rememberCompleted(stale, this.now());
        done.push({ outcome: await this.deliver(this.join(parts, false)), got: parts.length, total: stale.total });
      }
      return done;
    });
    let delivered = 0;
    for (const { outcome, got, total } of outcomes) {
      if ('refused' in outcome) {
        this.logRefused(outcome.refused);
        continue;
      }
      this.deps.log.warn({ connectorId: outcome.connectorId, inboundId: outcome.id, got, total }, 'inbound SMS incomplete after reassembly timeout');
      delivered++;
    }
    if (delivered > 0) this.deps.afterCommit?.();
    return delivered;
  }

  private async store(fragment: InboundFragment): Promise<InboundMessage | Refused | null> {
    const receivedAt = fragment.receivedAt;
    if (!fragment.concat || fragment.concat.total <= 1) {
      const message: InboundMessage = {
        id: newId(),
        connectorId: fragment.connectorId,
        sender: fragment.sender,
        recipient: fragment.recipient,
        text: decodeShortMessage(fragment.payload, fragment.dataCoding),
        partsTotal: 1,
        complete: true,
        receivedAt,
      };
      return this.deliver(message);
    }
    const stored: StoredFragment = {
      connectorId: fragment.connectorId,
      sender: fragment.sender,
      recipient: fragment.recipient,
      reference: fragment.concat.reference,
      total: fragment.concat.total,
      seq: fragment.concat.seq,
      dataCoding: fragment.dataCoding,
      payload: fragment.payload,
      receivedAt,
    };
    await this.deps.repo.lockGroup(stored);
    if (await this.deps.repo.completedSince(stored, this.now() - this.deps.reassemblyTimeoutMs)) {
      this.repeatedCounter.inc({ connector: stored.connectorId });
      this.deps.log.info(
        { connectorId: stored.connectorId, reference: stored.reference, seq: stored.seq, total: stored.total },
        'inbound part arrived again after its message was delivered: dropped',
      );
      return null;
    }
    await this.deps.repo.insertFragment(stored);
    const siblings = await this.deps.repo.siblings(stored);
    if (siblings.length < stored.total) return null;
    await this.deps.repo.deleteSiblings(stored);
    await this.deps.repo.rememberCompleted(stored, this.now());
    return this.deliver(this.join(siblings, true));
  }

  /** Store a complete message and enqueue its callback, unless its recipient does not receive SMS. */
  private async deliver(message: InboundMessage): Promise<InboundMessage | Refused> {
    if (this.deps.accepts && !this.deps.accepts(message.recipient)) return { refused: message };
    await this.deps.repo.insertMessage(message);
    await this.deps.notify(message);
    return message;
  }

  private logRefused(message: InboundMessage): void {
    this.refusedCounter.inc({ connector: message.connectorId });
    this.deps.log.info({ connectorId: message.connectorId, recipient: message.recipient }, 'inbound SMS dropped: SMS is disabled for its recipient');
  }

  /**
   * Join parts in order. Octets are joined before decoding so a UCS-2
   * surrogate pair or a GSM escape split across parts decodes correctly.
   */
  private join(parts: StoredFragment[], complete: boolean): InboundMessage {
    const first = parts[0]!;
    const sameCoding = parts.every((p) => p.dataCoding === first.dataCoding);
    const text = sameCoding
      ? decodeShortMessage(Buffer.concat(parts.map((p) => p.payload)), first.dataCoding)
      : parts.map((p) => decodeShortMessage(p.payload, p.dataCoding)).join('');
    return {
      id: newId(),
      connectorId: first.connectorId,
      sender: first.sender,
      recipient: first.recipient,
      text,
      partsTotal: first.total,
      complete,
      receivedAt: Math.max(...parts.map((p) => p.receivedAt)),
    };
  }
}
