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
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

const HEAP_GROWING_PERCENT = 20;

export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  capYoungGeneration();
}

/**
 * The main thread's young generation (two semi-spaces, where V8 allocates new
 * objects and scavenges them) may grow to 8 MiB, not V8's 32.
 *
 * V8 starts each semi-space at 1 MiB and doubles it, up to 16 MiB, whenever
 * much of it survives a scavenge — and the daemon's start (hundreds of modules
 * parsed, then the warm-up) made it do that at once, so an idle node held 32 MiB
 * of young generation for 5–10 MiB of young objects. Held at 16 MiB the peak RSS
 * of 20,000 messages with receipts fell by 12–16 MiB for no measurable CPU
 * (bench/RESULTS.md, "Issue 18, session 22"; decision 0119); at 8 MiB, once the
 * node had no second isolate, by 5 % more for about 4 % more CPU a message
 * ("Issue 18, session 29").
 *
 * The semi-space maximum (`--max-semi-space-size`) is read only when an isolate
 * is made, so it would have to be on every command line that starts the
 * daemon. The growth factor is read at each growth, and it is process-wide. So
 * `telenode start` holds growth (factor 1) before its modules load — their
 * evaluation is one long synchronous stretch, in which several scavenges could
 * double the semi-spaces before any observer ran — and the daemon lets it go
 * (V8's factor 2) after each collection only while the main thread's young
 * generation is below the cap.
 */
const YOUNG_GENERATION_CAP_BYTES = 8 * 1024 * 1024;

/** Called by `telenode start` before the daemon's modules load (src/cli/main.ts). */
export function holdYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** After each collection: let the young generation grow while it is below the cap, and hold it there. */
function capYoungGeneration(): void {
  let growing = false;
  const afterCollection = new PerformanceObserver(() => {
    const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
    const mayGrow = young < YOUNG_GENERATION_CAP_BYTES;
    if (mayGrow === growing) return;
    growing = mayGrow;
    setFlagsFromString(`--semi-space-growth-factor=${growing ? 2 : 1}`);
  });
  afterCollection.observe({ entryTypes: ['gc'] });
}
