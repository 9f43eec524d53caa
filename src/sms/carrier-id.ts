/**
 * Carrier message ids as receipts quote them. SMSCs disagree with themselves:
 * submit_sm_resp may say `1A2B` while the receipt text says `6699`, or pad it
 * with zeros, or change its case (see peers.md §3.3: Jasmin #20/#210, Kannel's
 * msg-id-type). We store one normal form and read a receipt's id under the
 * relation its connector's convention names (carrier-id-convention.ts):
 *
 *   string   the receipt quotes the id as submit_sm_resp gave it
 *   hex      submit_sm_resp gives hex, the receipt quotes the same number in decimal
 *   decimal  submit_sm_resp gives decimal, the receipt quotes it in hex
 */

/** Lower case, no surrounding space, no leading zeros. */
export function normalizeCarrierId(id: string): string {
  return id
    .trim()
    .toLowerCase()
    .replace(/^0+(?=.)/, '');
}

export type CarrierIdRelation = 'string' | 'hex' | 'decimal';

const MAX_NUMERIC_LENGTH = 40;

/**
 * The stored (submit_sm_resp) form of a receipt's id under `relation`, or null when the receipt id
 * cannot be read that way (`hex` needs decimal digits, `decimal` needs hex digits).
 */
export function submitFormOf(receiptId: string, relation: CarrierIdRelation): string | null {
  const normal = normalizeCarrierId(receiptId);
  if (relation === 'string') return normal;
  if (normal.length > MAX_NUMERIC_LENGTH) return null;
  if (relation === 'hex') return /^[0-9]+$/.test(normal) ? BigInt(normal).toString(16) : null;
  return /^[0-9a-f]+$/.test(normal) ? BigInt(`0x${normal}`).toString(10) : null;
}

/** The inverse: how a receipt would quote a stored id under `relation` (for receipts that came first). */
export function receiptFormOf(submitId: string, relation: CarrierIdRelation): string | null {
  const normal = normalizeCarrierId(submitId);
  if (relation === 'string') return normal;
  if (normal.length > MAX_NUMERIC_LENGTH) return null;
  if (relation === 'hex') return /^[0-9a-f]+$/.test(normal) ? BigInt(`0x${normal}`).toString(10) : null;
  return /^[0-9]+$/.test(normal) ? BigInt(normal).toString(16) : null;
}
