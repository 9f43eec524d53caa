/**
 * How far V8 lets a heap grow past what survived its last full collection
 * before it collects again.
 *
 * Left to itself V8 picks a factor between 1.1 and 4 from how fast it
 * collects against how fast the program allocates; a daemon moving SMS with
 * receipts allocates fast and collects cheaply, so it got close to 4: with
 * about 30 MiB live, the main thread's old space grew to 88 MiB of mostly
 * dead, promoted request and receipt objects before the next full
 * collection, and the callback thread's did the same on its own heap. At 20 %
 * the peak RSS of 20,000 messages with receipts fell from 271 to 212 MiB for
 * 3–5 % more CPU a message and the same throughput (bench/RESULTS.md,
 * "Issue 18, session 13").
 *
 * The flag is process-wide (every isolate, the worker threads' too) and V8
 * reads it each time it sets a heap's next limit, so setting it before the
 * daemon starts its work is enough; no command-line flag is needed in the
 * systemd unit, `npm start` or the `telenode` command (decision 0109).
 */
import { setFlagsFromString } from 'node:v8';

const HEAP_GROWING_PERCENT = 20;

export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
