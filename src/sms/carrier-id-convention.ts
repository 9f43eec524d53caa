/**
 * How one connector's receipts quote the carrier ids its submit_sm_resp gave
 * (Kannel's msg-id-type, as `carrierIdFormat`):
 *
 *   string | hex | decimal   configured: only that relation is used
 *   auto                     learned from unambiguous receipts:
 *
 *      learning ──3 receipts agree on one relation, none on another──► learned
 *
 *   While learning, a receipt that matches a part exactly is applied to that
 *   part (exact first), and is evidence for `string` when its id also reads as
 *   a number. A receipt with no exact match is not guessed at once: its part's
 *   submit_sm_resp may not be recorded yet (another bind, the same commit), and
 *   a conversion could hit another message (receipt `10` read as hex is `16`).
 *   It waits `settleMs`; then, if exactly one relation finds a part, it is
 *   applied and is evidence for that relation. If two relations find
 *   different parts, it is ambiguous: never applied, counted and logged.
 */
import type { CarrierIdRelation } from './carrier-id.js';

export type CarrierIdFormat = 'auto' | CarrierIdRelation;

/** Receipts that must agree on a relation before `auto` settles on it. */
export const EVIDENCE_TO_LEARN = 3;

export class CarrierIdConvention {
  private readonly evidence: Record<CarrierIdRelation, number> = { string: 0, hex: 0, decimal: 0 };
  private learnedRelation: CarrierIdRelation | null;

  constructor(
    readonly format: CarrierIdFormat,
    private readonly onLearned: (relation: CarrierIdRelation) => void = () => undefined,
  ) {
    this.learnedRelation = format === 'auto' ? null : format;
  }

  /** The one relation receipts are read under, or null while `auto` is still learning. */
  get relation(): CarrierIdRelation | null {
    return this.learnedRelation;
  }

  /** A receipt whose match under `relation` was unambiguous. */
  observe(relation: CarrierIdRelation): void {
    if (this.learnedRelation !== null) return;
    this.evidence[relation]++;
    const others = (Object.keys(this.evidence) as CarrierIdRelation[]).filter((r) => r !== relation).reduce((sum, r) => sum + this.evidence[r], 0);
    if (this.evidence[relation] >= EVIDENCE_TO_LEARN && others === 0) {
      this.learnedRelation = relation;
      this.onLearned(relation);
    }
  }
}
