/**
 * Work that runs one pass at a time and is asked for by events: asked for while a pass runs, exactly one more
 * pass follows it, since what the asker knows of may have come after the running pass read the database. Many
 * asks during one pass cost one pass more, not many. The outbox's claim passes (hand-overs heard, decision 0136)
 * and a cluster node's early heartbeats (a bind asked for or handed over, decision 0137) are two of these.
 */
export class SerialTask {
  private running: Promise<void> | null = null;
  private again = false;

  /** `pass` logs its own failures; one that rejects anyway is dropped here rather than left unhandled. */
  constructor(private readonly pass: () => Promise<void>) {}

  /** A pass now, or one more after the one running. */
  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch(() => undefined)
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }

  /** Resolves once no pass runs and none is due. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}
