/**
 * One warning per source address per minute when a listener refuses connections (a connection limit reached), not
 * one per connection: a flood of refused connections would otherwise flood the log too.
 */
import type { Logger } from './log.js';

const WARN_EVERY_MS = 60_000;
/** Sources remembered at most; past it the memory starts again (a flood from many addresses costs a few more lines). */
const MAX_SOURCES = 10_000;

export class RefusalLog {
  private readonly lastWarned = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    /** The warning's message, saying which listener refused. */
    private readonly message: string,
  ) {}

  note(source: string, details: Record<string, unknown>): void {
    const now = Date.now();
    if (now - (this.lastWarned.get(source) ?? 0) < WARN_EVERY_MS) return;
    if (this.lastWarned.size > MAX_SOURCES) this.lastWarned.clear();
    this.lastWarned.set(source, now);
    this.log.warn({ source, ...details }, this.message);
  }
}
