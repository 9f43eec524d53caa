/**
 * A per-modem send rate: at most `perMinute` sends, spaced evenly (a SIM
 * plan's fair-use limit or an operator's anti-spam filter counts sends per
 * time, not bursts). `take()` resolves when the caller's slot has come.
 */
export class SendPacer {
  private nextSlotAt = 0;
  private readonly intervalMs: number;

  constructor(
    perMinute: number | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.intervalMs = perMinute ? 60_000 / perMinute : 0;
  }

  /** Milliseconds until a send taken now would go out. */
  waitMs(): number {
    return Math.max(0, this.nextSlotAt - this.now());
  }

  take(): Promise<void> {
    if (this.intervalMs === 0) return Promise.resolve();
    const now = this.now();
    const slot = Math.max(now, this.nextSlotAt);
    this.nextSlotAt = slot + this.intervalMs;
    const wait = slot - now;
    return wait === 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, wait));
  }
}
