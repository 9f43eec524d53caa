/**
 * One 20 ms clock for every call's RTP sender, in phases.
 *
 * Each call is given one of PHASES phases (the least busy when it
 * subscribes) and gets its frame every 20 ms at its own offset of
 * phase · 20/PHASES ms. The clock fires every 20/PHASES ms and serves the
 * phase that is due, so the calls' packets are spread over the frame instead
 * of leaving in one burst: on loopback a send costs ~9 µs of this thread, and
 * 600 calls in one burst put the last packet 5 ms behind the first.
 *
 * Ticks are scheduled against absolute times (origin + n · sub-tick), so timer
 * lateness never accumulates into drift; a tick that fires late serves every
 * sub-tick it owes at once (up to a bound; older ones are dropped) and the
 * lateness is reported as pacing error. See docs/decisions/0096-one-media-clock.md.
 */
import { performance } from 'node:perf_hooks';

export const FRAME_MS = 20;
/** Sub-ticks per frame: 4 → a phase every 5 ms. */
const PHASES = 4;
const SUB_TICK_MS = FRAME_MS / PHASES;
/** Frames owed after a long stall that are sent at once; older ones are dropped. */
const MAX_CATCH_UP_FRAMES = 5;
const MAX_CATCH_UP_SUB_TICKS = MAX_CATCH_UP_FRAMES * PHASES;

export interface ClockSubscriber {
  /** Send one frame; called once per 20 ms while subscribed. */
  tick(): void;
}

export class MediaClock {
  private readonly phases: Set<ClockSubscriber>[] = Array.from({ length: PHASES }, () => new Set());
  private subscribers = 0;
  private timer: NodeJS.Timeout | null = null;
  private origin = 0;
  /** Sub-ticks served since origin. */
  private served = 0;
  /**
   * Per served sub-tick, for metrics and the call benchmark: how far from its
   * ideal time the phase's first and its last packet went out, in ms (negative
   * when the timer fired early).
   */
  onTick: ((firstSendLateMs: number, lastSendLateMs: number) => void) | null = null;

  subscribe(subscriber: ClockSubscriber): () => void {
    const phase = this.phases.reduce((best, set) => (set.size < best.size ? set : best));
    phase.add(subscriber);
    this.subscribers++;
    if (!this.timer) this.startTicking();
    return () => {
      if (!phase.delete(subscriber)) return;
      this.subscribers--;
      if (this.subscribers === 0) this.stopTicking();
    };
  }

  get size(): number {
    return this.subscribers;
  }

  private startTicking(): void {
    this.origin = performance.now();
    this.served = 0;
    this.schedule();
  }

  private stopTicking(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const due = this.origin + (this.served + 1) * SUB_TICK_MS;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - performance.now()));
  }

  private fire(): void {
    const owed = Math.floor((performance.now() - this.origin) / SUB_TICK_MS) - this.served;
    if (owed > MAX_CATCH_UP_SUB_TICKS) this.served += owed - MAX_CATCH_UP_SUB_TICKS;
    // At least one: a timer may fire a fraction of a millisecond early.
    const count = Math.max(1, Math.min(owed, MAX_CATCH_UP_SUB_TICKS));
    for (let i = 0; i < count; i++) {
      this.served++;
      const phase = this.phases[this.served % PHASES]!;
      if (phase.size === 0) continue;
      const target = this.origin + this.served * SUB_TICK_MS;
      const first = performance.now() - target;
      for (const subscriber of phase) subscriber.tick();
      this.onTick?.(first, performance.now() - target);
    }
    if (this.subscribers > 0) this.schedule();
    else this.timer = null;
  }
}
