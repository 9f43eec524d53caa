/**
 * How fast one bind sends submit_sm: evenly spaced at a rate that adapts to
 * what the carrier takes (additive increase, multiplicative decrease, as TCP
 * does with a congestion window, RFC 5681 §3.1).
 *
 * Carriers limit an account to so many messages per second and answer the
 * rest ESME_RTHROTTLED or ESME_RMSGQFUL (SMPP 3.4 §5.1.3). Most count over a
 * sliding second, so a burst at the start of a second is refused even when the
 * average is within the limit: sends are spaced 1/rate apart on a grid, and a
 * send that a busy event loop made late lets the next one catch up (by half a
 * gap at most), so timer lateness does not cost rate. A sliding second of our
 * own caps what catching up may add.
 *
 * A throttling answer slows the bind once for every answer of the same
 * "window": answers for submits sent before the last slow-down were sent at
 * the old rate and say nothing new. The slowed rate is 95 % of what the
 * carrier accepted over the last second (its limit, seen from our side; a
 * burst still in its sliding second does not push the rate further down).
 * The rate then climbs back, by 10 % a second (1 msg/s at least), and by only
 * 0.1 msg/s a second near the rate the carrier last refused, so it spends its
 * time just under the carrier's limit. When the carrier took nothing in the
 * last second there is no rate to learn: only the pause grows.
 *
 * An episode is the time from the first throttling answer to ten quiet
 * seconds; the connector logs its start and end once each.
 */
import { backoffDelay, type BackoffPolicy } from '../../../shared/backoff.js';

export interface CarrierPacerOptions {
  /** The configured ceiling in messages per second; 0: none (the rate is learned from throttling). */
  mps: number;
  /** Pauses while the carrier refuses even a slowed rate: initialMs, growing while it goes on refusing. */
  backoff: BackoffPolicy;
}

export interface ThrottleEpisode {
  startedAt: number;
  lastThrottleAt: number;
  throttles: number;
}

/** What a throttling answer did: began an episode, slowed the rate, or nothing new (already slowed for it). */
export type ThrottleOutcome = { kind: 'started' | 'slowed' | 'known'; rate: number };

/** Multiplicative decrease: the rate after a refusal, as a share of the rate the carrier accepted. */
const DECREASE = 0.95;
/** Within this share either side of the last refused rate, climb slowly (CAREFUL_CLIMB msg/s per second). */
const NEAR_CEILING = 0.03;
const CAREFUL_CLIMB = 0.1;
/** Elsewhere, climb by this share of the rate per second (and at least 1 msg/s per second). */
const CLIMB = 0.1;
const QUIET_MS_TO_END_EPISODE = 10_000;
/** Our own sliding window, the carrier's second. */
const WINDOW_MS = 1000;
/** Never slower than this many messages per second, however often refused. */
const MIN_RATE = 0.5;

export class CarrierPacer {
  /** Messages per second; Infinity: no limit known yet. */
  private rateValue: number;
  private nextAt = 0;
  private pausedUntil = 0;
  private sendSeq = 0;
  /** Submits numbered up to this one were sent before the last slow-down. */
  private slowedAtSeq = 0;
  /** Slow-downs in a row without an accepted submit sent after the last one. */
  private slowdownsInARow = 0;
  /** The rate the carrier last refused: the limit, as far as we know. */
  private refusedRate = Infinity;
  /** Accepted submits of the last second (to know the rate when there was no limit). */
  private readonly acceptedTimes: number[] = [];
  /** Sends of the last window (for the cap). */
  private readonly sentTimes: number[] = [];
  private episodeValue: ThrottleEpisode | null = null;

  constructor(private readonly options: CarrierPacerOptions) {
    this.rateValue = options.mps > 0 ? options.mps : Infinity;
  }

  get rate(): number {
    return this.rateValue;
  }

  get episode(): ThrottleEpisode | null {
    return this.episodeValue;
  }

  /** Milliseconds until the next submit may go (0: now). */
  waitMs(now: number): number {
    const wait = Math.max(0, this.pausedUntil - now);
    if (!Number.isFinite(this.rateValue)) return wait;
    const { windowMs, allowed } = this.window();
    dropOlderThan(this.sentTimes, now - windowMs);
    const windowWait = this.sentTimes.length >= allowed ? this.sentTimes[this.sentTimes.length - allowed]! + windowMs - now : 0;
    return Math.max(wait, this.nextAt - now, windowWait);
  }

  /** A submit goes now; the ticket identifies it in accepted() or throttled(). */
  sent(now: number): number {
    if (Number.isFinite(this.rateValue)) {
      const interval = 1000 / this.rateValue;
      this.nextAt = Math.max(this.nextAt + interval, now + interval / 2);
      this.sentTimes.push(now);
    }
    return ++this.sendSeq;
  }

  /** The carrier accepted a submit. Returns the episode that this ends, if it is ten quiet seconds old. */
  accepted(ticket: number, now: number): ThrottleEpisode | null {
    this.acceptedTimes.push(now);
    dropOlderThan(this.acceptedTimes, now - 1000);
    if (ticket > this.slowedAtSeq) this.slowdownsInARow = 0;
    if (Number.isFinite(this.rateValue)) {
      // Careful only around the last refusal: far below it, or once well past it without refusal, climb fast.
      const nearCeiling = Math.abs(this.rateValue - this.refusedRate) <= this.refusedRate * NEAR_CEILING;
      const perSecond = nearCeiling ? CAREFUL_CLIMB : Math.max(1, this.rateValue * CLIMB);
      // +perSecond per second: each of the `rate` submits of a second adds perSecond/rate.
      this.rateValue += perSecond / this.rateValue;
      if (this.options.mps > 0) this.rateValue = Math.min(this.rateValue, this.options.mps);
    }
    const episode = this.episodeValue;
    if (episode && now - episode.lastThrottleAt >= QUIET_MS_TO_END_EPISODE) {
      this.episodeValue = null;
      return episode;
    }
    return null;
  }

  /** The carrier refused a submit for throttling (it goes back to the queue). */
  throttled(ticket: number, now: number): ThrottleOutcome {
    let started = false;
    if (!this.episodeValue) {
      this.episodeValue = { startedAt: now, lastThrottleAt: now, throttles: 0 };
      started = true;
    }
    this.episodeValue.throttles++;
    this.episodeValue.lastThrottleAt = now;
    if (ticket <= this.slowedAtSeq) return { kind: started ? 'started' : 'known', rate: this.rateValue };
    const taken = this.acceptedInLastSecond(now);
    this.slowdownsInARow++;
    this.slowedAtSeq = this.sendSeq;
    let pauses = this.slowdownsInARow;
    if (taken > 0) {
      this.refusedRate = taken;
      this.rateValue = Math.max(MIN_RATE, Math.min(this.rateValue, taken * DECREASE));
      // A rate limit refuses what is over it: one gap at the slowed rate makes room. Only a
      // slowed rate that is refused again (a carrier that is full, not just counting) pauses.
      pauses--;
    } // else the carrier takes nothing at the moment (full, overloaded): no rate to learn, only pauses
    const gap = Number.isFinite(this.rateValue) ? 1000 / this.rateValue : 0;
    this.pausedUntil = now + (pauses > 0 ? backoffDelay(this.options.backoff, pauses) : gap);
    this.nextAt = Math.max(this.nextAt, this.pausedUntil);
    return { kind: started ? 'started' : 'slowed', rate: this.rateValue };
  }

  private acceptedInLastSecond(now: number): number {
    dropOlderThan(this.acceptedTimes, now - 1000);
    return this.acceptedTimes.length;
  }

  /** The window and how many sends it may hold: a second's worth, and at least one send per window. */
  private window(): { windowMs: number; allowed: number } {
    const windowMs = Math.max(WINDOW_MS, 1000 / this.rateValue);
    return { windowMs, allowed: Math.max(1, Math.floor((this.rateValue * windowMs) / 1000 + 1e-9)) };
  }
}

/** Times are in ascending order: drop those at or before `cutoff`. */
function dropOlderThan(times: number[], cutoff: number): void {
  let stale = 0;
  while (stale < times.length && times[stale]! <= cutoff) stale++;
  if (stale > 0) times.splice(0, stale);
}
