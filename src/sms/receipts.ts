/**
 * Delivery receipts → part statuses → message status. A receipt is matched
 * to a part by connector and carrier id under every reading of the id
 * (carrier-id.ts). One that matches nothing yet is kept durably and matched
 * when the submit_sm_resp it belongs to is recorded; after `keepUnmatchedMs`
 * it is given up (and counted).
 */
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import type { Db } from '../store/db.js';
import type { GroupCommitter } from '../store/group-commit.js';
import type { MessageRepo } from '../store/message-repo.js';
import type { UnmatchedReceiptRepo } from '../store/unmatched-receipt-repo.js';
import type { Logger } from '../shared/log.js';
import { carrierIdCandidates, normalizeCarrierId } from './carrier-id.js';
import type { ReceiptEvent } from './connectors/connector.js';
import type { StatusWriter } from './status-writer.js';
import { isFinal, type MessagePart } from './message.js';

export interface ReceiptProcessorDeps {
  repo: MessageRepo;
  unmatched: UnmatchedReceiptRepo;
  committer: GroupCommitter;
  statusWriter: StatusWriter;
  log: Logger;
  registry?: Registry;
  afterCommit?: () => void;
  now?: () => number;
  keepUnmatchedMs?: number;
}

export class ReceiptProcessor {
  private readonly now: () => number;
  private readonly received: Counter<'connector' | 'matched'>;
  private purgeTimer: NodeJS.Timeout | null = null;
  /** Receipts waiting for their part; while none wait, recording a carrier id skips the lookup. */
  private waiting: number;

  constructor(private readonly deps: ReceiptProcessorDeps) {
    this.now = deps.now ?? Date.now;
    this.waiting = deps.unmatched.count();
    this.received = new Counter({
      name: 'telenode_sms_receipts_total',
      help: 'Delivery receipts received, by whether they matched a part on arrival',
      labelNames: ['connector', 'matched'],
      registers: deps.registry ? [deps.registry] : [],
    });
  }

  /** Store the receipt's effect durably; resolves after commit (then the connector acks). */
  async handle(event: ReceiptEvent): Promise<void> {
    const matched = await this.deps.committer.run((db) => this.apply(db, event));
    this.received.inc({ connector: event.connectorId, matched: String(matched) });
    if (!matched) {
      this.deps.log.debug({ connectorId: event.connectorId, carrierId: event.carrierId }, 'receipt for an unknown id kept for later matching');
    }
    this.deps.afterCommit?.();
  }

  /**
   * Inside the transaction that records a part's carrier id: apply receipts
   * that arrived before it.
   */
  matchWaiting(db: Db, connectorId: string, carrierId: string): void {
    if (this.waiting === 0) return;
    const waiting = this.deps.unmatched.find(connectorId, carrierIdCandidates(carrierId));
    for (const receipt of waiting) {
      if (this.apply(db, receipt.event)) {
        this.deps.unmatched.delete(receipt.id);
        this.waiting--;
      }
    }
  }

  startPurge(intervalMs = 60_000): void {
    const keep = this.deps.keepUnmatchedMs ?? 24 * 3_600_000;
    this.purgeTimer = setInterval(() => {
      void this.deps.committer
        .run(() => {
          const dropped = this.deps.unmatched.purgeOlderThan(this.now() - keep);
          this.waiting = this.deps.unmatched.count();
          return dropped;
        })
        .then((n) => {
          if (n > 0) this.deps.log.warn({ dropped: n }, 'receipts that never matched a sent part were dropped');
        })
        .catch((err: unknown) => this.deps.log.error({ err }, 'unmatched receipt purge failed'));
    }, intervalMs);
    this.purgeTimer.unref();
  }

  stop(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
  }

  private apply(db: Db, event: ReceiptEvent): boolean {
    const found = this.deps.repo.findPartsByCarrierId(event.connectorId, carrierIdCandidates(event.carrierId));
    const parts = event.idRecycles ? latestOpenPart(found) : found;
    if (parts.length === 0) {
      this.deps.unmatched.insert(event, normalizeCarrierId(event.carrierId), this.now());
      this.waiting++;
      return false;
    }
    for (const part of parts) {
      // A one-part message's only part is the one just found: no need to read its parts again.
      const stored = part.partsTotal === 1 ? [part] : undefined;
      this.deps.statusWriter.applyParts(db, part.messageId, [
        {
          partNo: part.partNo,
          partsTotal: part.partsTotal,
          connectorId: part.connectorId,
          status: event.status,
          carrierStatus: event.stat,
          carrierError: event.err,
          at: this.now(),
        },
      ], {}, stored);
    }
    return true;
  }
}

/**
 * Of the parts sharing a recycled id, the one the receipt can be about: the
 * most recently submitted that is still waiting for its final status. An
 * older part with the same id is finished (or its report was lost); a newer
 * one not yet recorded makes the receipt wait unmatched until it is.
 */
function latestOpenPart(parts: MessagePart[]): MessagePart[] {
  let latest: MessagePart | null = null;
  for (const part of parts) {
    if (isFinal(part.status)) continue;
    if (!latest || (part.submittedAt ?? 0) > (latest.submittedAt ?? 0)) latest = part;
  }
  return latest ? [latest] : [];
}
