/**
 * Collects the media clock's pacing samples in the worker so they cross to
 * the main thread a few times a second, not once per 5 ms sub-tick: 200
 * messages a second would cost the main thread more than the metrics are worth.
 */
import type { PacingBatch } from './media-protocol.js';

const INITIAL_CAPACITY = 256;

export class PacingCollector {
  private first = new Float64Array(INITIAL_CAPACITY);
  private last = new Float64Array(INITIAL_CAPACITY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(firstSendLateMs: number, lastSendLateMs: number): void {
    if (this.count === this.first.length) this.grow();
    this.first[this.count] = firstSendLateMs;
    this.last[this.count] = lastSendLateMs;
    this.count++;
  }

  /** The samples so far, in arrays of their own (their buffers can be transferred); the collector starts empty. */
  take(): PacingBatch {
    const batch = { first: this.first.slice(0, this.count), last: this.last.slice(0, this.count) };
    this.count = 0;
    return batch;
  }

  private grow(): void {
    const first = new Float64Array(this.first.length * 2);
    const last = new Float64Array(this.last.length * 2);
    first.set(this.first);
    last.set(this.last);
    this.first = first;
    this.last = last;
  }
}
