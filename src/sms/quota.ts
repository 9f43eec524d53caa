/**
 * Per-user quotas in SMS parts (what carriers charge for), per UTC day and
 * per UTC month. Usage lives in the store and is charged in the same
 * transaction that stores the message, so a restart neither resets it nor
 * lets two concurrent requests both take the last parts.
 */
import type { QuotaRepo } from '../store/quota-repo.js';
import { AppError, ErrorCode } from '../shared/errors.js';

export interface QuotaLimits {
  partsPerDay?: number | null;
  partsPerMonth?: number | null;
}

interface Period {
  name: 'day' | 'month';
  key: string;
  limit: number;
}

export class QuotaGuard {
  private readonly limits: ReadonlyMap<string, QuotaLimits>;

  constructor(
    limitsByUser: ReadonlyMap<string, QuotaLimits>,
    private readonly repo: QuotaRepo,
  ) {
    this.limits = new Map([...limitsByUser].filter(([, l]) => (l.partsPerDay ?? null) !== null || (l.partsPerMonth ?? null) !== null));
  }

  /** Throws QUOTA_EXCEEDED when `parts` more would pass a limit (read only: a cheap early refusal). */
  async check(user: string, parts: number, at: number): Promise<void> {
    for (const period of this.periods(user, at)) await this.assertRoom(user, period, parts);
  }

  /** Check again and charge; runs inside the transaction that stores the message. */
  async charge(user: string, parts: number, at: number): Promise<void> {
    const periods = this.periods(user, at);
    for (const period of periods) await this.assertRoom(user, period, parts);
    for (const period of periods) await this.repo.add(user, period.key, parts);
  }

  private async assertRoom(user: string, period: Period, parts: number): Promise<void> {
    const used = await this.repo.used(user, period.key);
    if (used + parts <= period.limit) return;
    throw new AppError(ErrorCode.QUOTA_EXCEEDED, `quota of ${period.limit} SMS parts per ${period.name} used up (${used} used, this message needs ${parts})`, {
      details: { period: period.name, limit: period.limit, used, parts },
    });
  }

  private periods(user: string, at: number): Period[] {
    const limits = this.limits.get(user);
    if (!limits) return [];
    const iso = new Date(at).toISOString();
    const periods: Period[] = [];
    if (limits.partsPerDay !== null && limits.partsPerDay !== undefined)
      periods.push({ name: 'day', key: `day:${iso.slice(0, 10)}`, limit: limits.partsPerDay });
    if (limits.partsPerMonth !== null && limits.partsPerMonth !== undefined)
      periods.push({ name: 'month', key: `month:${iso.slice(0, 7)}`, limit: limits.partsPerMonth });
    return periods;
  }
}
