/**
 * One 20 ms clock for every call's RTP sender. Ticks are scheduled against
 * absolute times (start + n·20 ms), so timer lateness never accumulates into
 * drift; a tick that fires late sends the frames it owes at once (up to a
 * bound) and the lateness is recorded as pacing error.
 */
import { performance } from 'node:perf_hooks';

export const FRAME_MS = 20;
/** Frames owed after a long stall that are sent at once; older ones are dropped. */
const MAX_CATCH_UP_FRAMES = 5;

export interface ClockSubscriber {
  /** Send one frame; called once per 20 ms while subscribed. */
  tick(): void;
}

export class MediaClock {
  private readonly subscribers = new Set<ClockSubscriber>();
  private timer: NodeJS.Timeout | null = null;
  private origin = 0;
  private frame = 0;
  /**
   * Per tick, for metrics and the jitter benchmark: how late the tick fired
   * and how late its last packet went out (lateness + the time to send every
   * call's frame), both in ms against the ideal 20 ms grid.
   */
  onTick: ((firstSendLateMs: number, lastSendLateMs: number) => void) | null = null;

  subscribe(subscriber: ClockSubscriber): () => void {
    this.subscribers.add(subscriber);
    if (!this.timer) this.startTicking();
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stopTicking();
    };
  }

  get size(): number {
    return this.subscribers.size;
  }

  private startTicking(): void {
    this.origin = performance.now();
    this.frame = 0;
    this.schedule();
  }

  private stopTicking(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const due = this.origin + (this.frame + 1) * FRAME_MS;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - performance.now()));
  }

  private fire(): void {
    const now = performance.now();
    const owed = Math.floor((now - this.origin) / FRAME_MS) - this.frame;
    if (owed > MAX_CATCH_UP_FRAMES) this.frame += owed - MAX_CATCH_UP_FRAMES;
    const target = this.origin + (this.frame + 1) * FRAME_MS;
    const count = Math.max(1, Math.min(owed, MAX_CATCH_UP_FRAMES));
    for (let i = 0; i < count; i++) {
      this.frame++;
      for (const subscriber of this.subscribers) subscriber.tick();
    }
    this.onTick?.(now - target, performance.now() - target);
    if (this.subscribers.size > 0) this.schedule();
    else this.timer = null;
  }
}
