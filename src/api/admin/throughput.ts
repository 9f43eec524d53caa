/**
 * The console's throughput chart: messages accepted, submitted, delivered and failed on this node, counted in
 * 10-second buckets over the last 15 minutes (in memory: a restart starts a new chart).
 */
export const THROUGHPUT_KINDS = ['accepted', 'submitted', 'delivered', 'failed'] as const;
export type ThroughputKind = (typeof THROUGHPUT_KINDS)[number];

export interface ThroughputSeries {
  bucketSeconds: number;
  /** Bucket start times, epoch seconds, oldest first. */
  times: number[];
  counts: Record<ThroughputKind, number[]>;
}

const BUCKET_MS = 10_000;
const BUCKETS = 90;

export class ThroughputRecorder {
  private readonly buckets = new Map<number, Record<ThroughputKind, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  count(kind: ThroughputKind, n = 1): void {
    const start = Math.floor(this.now() / BUCKET_MS) * BUCKET_MS;
    let bucket = this.buckets.get(start);
    if (!bucket) {
      bucket = { accepted: 0, submitted: 0, delivered: 0, failed: 0 };
      this.buckets.set(start, bucket);
      for (const key of this.buckets.keys()) if (key < start - BUCKETS * BUCKET_MS) this.buckets.delete(key);
    }
    bucket[kind] += n;
  }

  series(): ThroughputSeries {
    const last = Math.floor(this.now() / BUCKET_MS) * BUCKET_MS;
    const times: number[] = [];
    const counts: Record<ThroughputKind, number[]> = { accepted: [], submitted: [], delivered: [], failed: [] };
    for (let start = last - (BUCKETS - 1) * BUCKET_MS; start <= last; start += BUCKET_MS) {
      times.push(start / 1000);
      const bucket = this.buckets.get(start);
      for (const kind of THROUGHPUT_KINDS) counts[kind].push(bucket?.[kind] ?? 0);
    }
    return { bucketSeconds: BUCKET_MS / 1000, times, counts };
  }
}
