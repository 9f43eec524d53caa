/**
 * The parts one connector has between being handed to it and their carrier's answer being committed: on the wire,
 * waiting inside it for a window slot, or answered and waiting for the commit that records the answer. A crash
 * sends all of them again on restart (the store still has them `accepted`), so this is the bound on a crash's
 * duplicates (docs/operations.md, decision 0003). It is twice what the connector can have on the wire (window ×
 * binds): a window in flight and a window of answers not yet on disk. Without it the answers waiting for a commit
 * were bounded only by the outbox's 4,096 in flight: when a busy disk held a commit for half a second, a SIGKILL then
 * re-sent a hundred messages with a window of 20. Now sending waits while a window's worth of answers is not on disk.
 *
 * Entered a message at a time with the parts it sends (a message with more parts than the whole pipeline takes all of
 * it), first come first served.
 */
export class SubmitPipeline {
  private used = 0;
  private readonly waiting: { parts: number; go: () => void }[] = [];

  constructor(readonly limit: number) {}

  /** Parts in the pipeline now. */
  get size(): number {
    return this.used;
  }

  /** Resolves once `parts` fit (at most the whole pipeline); returns what was taken, to hand back to leave(). */
  async enter(parts: number): Promise<number> {
    const taken = Math.min(parts, this.limit);
    if (this.waiting.length === 0 && this.used + taken <= this.limit) {
      this.used += taken;
      return taken;
    }
    await new Promise<void>((go) => this.waiting.push({ parts: taken, go }));
    return taken;
  }

  /** The answers of `parts` entered are committed (or the parts failed): room for the next. */
  leave(parts: number): void {
    this.used -= parts;
    for (let next = this.waiting[0]; next && this.used + next.parts <= this.limit; next = this.waiting[0]) {
      this.waiting.shift();
      this.used += next.parts;
      next.go();
    }
  }
}
