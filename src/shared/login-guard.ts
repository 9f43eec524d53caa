/**
 * Limits password and API-key guessing, for every dialect at once. Failed
 * log-ins are counted per source address and per username in a sliding
 * window; past a limit, that source (or that user, for guessing spread over
 * many addresses) is locked out for a while and refused before any password
 * is checked, so a lock-out costs the node nothing. Counters are in memory:
 * a restart forgets them, which only helps an attacker once per restart.
 *
 * An IPv6 source is counted by its /64 (source-group.ts): one attacker has a
 * whole /64 to spread guesses over, and a per-address count would never lock.
 *
 * The API's dialects and the SMPP server share one guard; the SIP engine's
 * digest check has its own (its users are not API users), named apart in
 * /metrics and the log by `GuardNames`.
 */
import type { Counter, Registry } from 'prom-client';
import { Counter as PromCounter } from 'prom-client';
import type { Logger } from './log.js';
import { sourceGroup } from './source-group.js';

export interface LoginLimits {
  /** Failed log-ins from one address within the window before it is locked out. */
  maxFailuresPerSource: number;
  /** Failed log-ins for one username, from anywhere, within the window before it is locked out. */
  maxFailuresPerUser: number;
  windowSeconds: number;
  lockoutSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { maxFailuresPerSource: 10, maxFailuresPerUser: 20, windowSeconds: 300, lockoutSeconds: 300 };

interface Tally {
  failures: number;
  windowStart: number;
  lockedUntil: number;
}

/** What a guard counts, as /metrics and the log name it. */
export interface GuardNames {
  /** Its two counters' names (written out whole, so a search for a metric's name finds them). */
  failuresMetric: string;
  lockoutsMetric: string;
  /** Help text of the failures counter. */
  failuresHelp: string;
  /** The attempts in the lock-out log line: "too many failed <attempts>: source locked out". */
  attempts: string;
}

export const API_LOG_INS: GuardNames = {
  failuresMetric: 'telenode_auth_failures_total',
  lockoutsMetric: 'telenode_auth_lockouts_total',
  failuresHelp: 'Failed API log-ins (wrong password, unknown user or API key)',
  attempts: 'log-ins',
};

/** Tallies kept at most; beyond it the oldest go (a spoofed-source flood must not grow memory). */
const MAX_TALLIES = 50_000;

export class LoginGuard {
  private readonly sources = new Map<string, Tally>();
  private readonly users = new Map<string, Tally>();
  private readonly failuresTotal: Counter | null;
  private readonly lockoutsTotal: Counter<'scope'> | null;

  constructor(
    private readonly limits: LoginLimits,
    private readonly log: Logger,
    registry: Registry | null = null,
    private readonly now: () => number = Date.now,
    private readonly names: GuardNames = API_LOG_INS,
  ) {
    this.failuresTotal = registry ? new PromCounter({ name: names.failuresMetric, help: names.failuresHelp, registers: [registry] }) : null;
    this.lockoutsTotal = registry
      ? new PromCounter({
          name: names.lockoutsMetric,
          help: `Lock-outs started after too many failed ${names.attempts}, by what was locked (source or user)`,
          labelNames: ['scope'],
          registers: [registry],
        })
      : null;
  }

  /** Seconds until this source or user may try again; 0 when they may now. */
  lockedFor(source: string, username: string | null): number {
    const now = this.now();
    const until = Math.max(this.sources.get(sourceGroup(source))?.lockedUntil ?? 0, username === null ? 0 : (this.users.get(username)?.lockedUntil ?? 0));
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  failed(source: string, username: string | null): void {
    this.failuresTotal?.inc();
    this.count(this.sources, sourceGroup(source), this.limits.maxFailuresPerSource, 'source', { source });
    if (username !== null) this.count(this.users, username, this.limits.maxFailuresPerUser, 'user', { username, source });
  }

  private count(tallies: Map<string, Tally>, key: string, limit: number, scope: 'source' | 'user', context: Record<string, string>): void {
    const now = this.now();
    let tally = tallies.get(key);
    if (!tally || now - tally.windowStart > this.limits.windowSeconds * 1000) {
      tally = { failures: 0, windowStart: now, lockedUntil: tally?.lockedUntil ?? 0 };
      tallies.delete(key);
      tallies.set(key, tally);
      if (tallies.size > MAX_TALLIES) tallies.delete(tallies.keys().next().value!);
    }
    tally.failures++;
    if (tally.failures >= limit && tally.lockedUntil <= now) {
      tally.lockedUntil = now + this.limits.lockoutSeconds * 1000;
      tally.failures = 0;
      tally.windowStart = now;
      this.lockoutsTotal?.inc({ scope });
      this.log.warn(
        { ...context, scope, failures: limit, lockoutSeconds: this.limits.lockoutSeconds },
        `too many failed ${this.names.attempts}: ${scope} locked out`,
      );
    }
  }
}
