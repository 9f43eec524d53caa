/**
 * Carrier message ids as receipts quote them. SMSCs disagree with themselves:
 * submit_sm_resp may say `1A2B` while the receipt text says `6699`, or pad it
 * with zeros, or change its case (see peers.md §3.3: Jasmin #20/#210, Kannel's
 * msg-id-type). We store one normal form and look a receipt up under every
 * reading of its id, so no per-connector setting is needed.
 */

/** Lower case, no surrounding space, no leading zeros. */
export function normalizeCarrierId(id: string): string {
  const trimmed = id.trim().toLowerCase().replace(/^0+(?=.)/, '');
  return trimmed;
}

const MAX_NUMERIC_LENGTH = 40;

/**
 * Every normal form the id may have been stored under: as written, and when it
 * reads as a number, its hex or decimal counterpart.
 */
export function carrierIdCandidates(id: string): string[] {
  const normal = normalizeCarrierId(id);
  const out = new Set<string>([normal]);
  if (normal.length <= MAX_NUMERIC_LENGTH) {
    if (/^[0-9]+$/.test(normal)) out.add(BigInt(normal).toString(16));
    if (/^[0-9a-f]+$/.test(normal)) out.add(BigInt(`0x${normal}`).toString(10));
  }
  return [...out];
}
