/**
 * At most `limit` of some costly asynchronous work at once; the rest wait their turn, first come first served.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The place passes straight to the next in line, so a newcomer cannot slip in ahead of it.
      if (next) next();
      else this.running--;
    }
  }
}
