/**
 * The timer behind a group committer's `defer`: it fires by the earliest
 * deadline any deferred operation asked for. One timer per committer; a
 * deferred write with a short delay (a receipt, 10 ms) queued behind one
 * with a long delay (a call-history row, 1 s) moves it earlier, instead of
 * waiting for the long one as a single "is a timer armed?" flag would have.
 */
export class DeferTimer {
  private timer: NodeJS.Timeout | null = null;
  private due = Number.POSITIVE_INFINITY;

  constructor(private readonly fire: () => void) {}

  /** Make sure the timer fires within `maxDelayMs`; a deadline already armed earlier stands. */
  arm(maxDelayMs: number): void {
    const due = performance.now() + maxDelayMs;
    if (this.timer !== null && due >= this.due) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.due = Number.POSITIVE_INFINITY;
      this.fire();
    }, maxDelayMs);
    // A deferred write never keeps the process alive; shutdown calls flushNow().
    this.timer.unref();
  }
}
