/** Exponential back-off with optional jitter: initial · factor^(attempt-1), capped. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** 0..1: the delay is spread ± this fraction so many waiters do not retry in step. */
  jitter?: number;
}

export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const factor = policy.factor ?? 2;
  const base = Math.min(policy.maxMs, policy.initialMs * Math.pow(factor, Math.max(0, attempt - 1)));
  const jitter = policy.jitter ?? 0;
  if (jitter <= 0) return base;
  const spread = base * jitter;
  return Math.max(0, Math.min(policy.maxMs, base - spread + random() * 2 * spread));
}
