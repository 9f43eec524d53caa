/**
 * Callback ids this process stored on PostgreSQL that the dispatcher has not read back yet (webhook-repo.ts).
 *
 * The dispatcher reads new callbacks by id, above the highest it has seen. PostgreSQL gives a row its id when
 * it is inserted, but several transactions commit at once (postgres/committer.ts), so a row can become visible
 * after a row with a higher id was already read; read by id alone, it waited for the dispatcher's sweep
 * (`webhooks.sweepSeconds`, 5 s): a third of the callbacks of one busy node, request → callback p99 7.5 s
 * (bench/cluster.ts, 2026-12-03). The ids inserted here and not yet read are read again by id until they show.
 * SQLite commits one transaction at a time, in id order, and needs none of this.
 */
export class UnreadCallbackIds {
  /** id → when it was inserted. */
  private readonly insertedAt = new Map<number, number>();

  constructor(
    /**
     * How long an id is looked for. One that never shows was rolled back, or went to another node (its order key's
     * holder, in a cluster); the sweep stays the backstop for anything slower.
     */
    private readonly keepMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  inserted(id: number): void {
    this.insertedAt.set(id, this.now());
  }

  /** Ids at or below `afterId` not read yet: committed after a higher id was read, or not committed yet. */
  atOrBelow(afterId: number): number[] {
    const late: number[] = [];
    const now = this.now();
    for (const [id, at] of this.insertedAt) {
      if (now - at > this.keepMs) this.insertedAt.delete(id);
      else if (id <= afterId) late.push(id);
    }
    return late;
  }

  read(id: number): void {
    this.insertedAt.delete(id);
  }
}
