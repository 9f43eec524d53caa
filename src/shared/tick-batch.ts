/**
 * Collects what is added during one turn of the event loop and hands it over
 * in one piece: for messages between threads, where one postMessage per
 * batch costs far less than one per item.
 */
export class TickBatch<T> {
  private items: T[] = [];

  constructor(
    private readonly deliver: (items: T[]) => void,
    /** When the batch is handed over: process.nextTick (end of this tick) unless told otherwise. */
    private readonly schedule: (flush: () => void) => void = (flush) => process.nextTick(flush),
  ) {}

  add(item: T): void {
    if (this.items.push(item) === 1) this.schedule(() => this.flush());
  }

  private flush(): void {
    const items = this.items;
    this.items = [];
    this.deliver(items);
  }
}
