/**
 * A sweep that runs every `intervalMs` (unref'd: it never keeps the process
 * alive), never overlaps itself, and logs what it throws instead of letting
 * an interval callback reject unhandled. The expiry and report-timeout
 * watchers are two of these.
 */
import type { Logger } from './log.js';

export class PeriodicSweep {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly what: string,
    private readonly sweep: () => Promise<number>,
    private readonly log: Logger,
  ) {}

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass now (0 when one is already running or it failed); resolves with what the sweep counted. */
  async runOnce(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      return await this.sweep();
    } catch (err) {
      this.log.error({ err }, `${this.what} failed`);
      return 0;
    } finally {
      this.running = false;
    }
  }
}
