/**
 * The parts one connector has between being handed to it and their carrier's answer being committed: on the wire,
 * waiting inside it for a window slot, or answered and waiting for the commit that records the answer. A crash
 * sends all of them again on restart (the store still has them `accepted`), so its limit is the bound on a crash's
 * duplicates (docs/operations.md, decision 0003 as amended). An SMPP connector's is its windows on the wire and as
 * many answers not yet on disk, at least 256 (smpp-connector.ts). Without it the answers waiting for a commit were
 * bounded only by the outbox's 4,096 in flight: when a busy disk held commits back, a SIGKILL re-sent a hundred
 * messages with a window of 20. Now sending waits while the pipeline is full.
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

  /**
   * Takes room for `parts` (at most the whole pipeline) and returns what was taken, to hand back to leave(); null
   * when it must wait: then enter(). Synchronous for the common case, which costs no promise on the hot path.
   */
  tryEnter(parts: number): number | null {
    const taken = Math.min(parts, this.limit);
    if (this.waiting.length > 0 || this.used + taken > this.limit) return null;
    this.used += taken;
    return taken;
  }

  /** Resolves once `parts` fit (at most the whole pipeline), first come first served; returns what was taken. */
  async enter(parts: number): Promise<number> {
    const taken = this.tryEnter(parts);
    if (taken !== null) return taken;
    const waitFor = Math.min(parts, this.limit);
    await new Promise<void>((go) => this.waiting.push({ parts: waitFor, go }));
    return waitFor;
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
