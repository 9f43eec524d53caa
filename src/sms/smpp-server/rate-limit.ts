/**
 * Messages per second per SMPP user, over all its binds: a token bucket that
 * holds at most one second's worth, so a client may burst to `mps` and then
 * keeps to it on average.
 */
export class PerUserRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly mpsOf: (systemId: string) => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True (and one token taken) when the user may send one more message now. */
  take(systemId: string): boolean {
    const mps = this.mpsOf(systemId);
    if (mps <= 0) return true;
    const now = this.now();
    const bucket = this.buckets.get(systemId) ?? { tokens: mps, at: now };
    bucket.tokens = Math.min(mps, bucket.tokens + ((now - bucket.at) / 1000) * mps);
    bucket.at = now;
    this.buckets.set(systemId, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
