/**
 * The recordings folder's free space against `voice.recordings.minFreeMiB`, for the recordings as they run: each
 * recording started is checked at its start (recording.ts), and while any runs, the disk is looked at every few
 * seconds; when it has gone below the floor, every running recording hears of it and stops. Callers who leave
 * long messages together cannot then fill the disk the store writes to, whatever their Durations add up to.
 */
import { statfs } from 'node:fs/promises';

/** Free bytes of the disk `dir` is on, for an unprivileged writer; read off the event loop (a hung mount stops no one). */
export async function freeBytes(dir: string): Promise<number> {
  const disk = await statfs(dir);
  return disk.bavail * disk.bsize;
}

export class DiskFloor {
  private readonly running = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private looking = false;

  constructor(
    readonly dir: string,
    /** 0: no floor, nothing watched. */
    readonly minFreeBytes: number,
    private readonly intervalMs = 5000,
    private readonly free: (dir: string) => Promise<number> = freeBytes,
  ) {}

  /** Whether the disk has at least the floor free now (always, without a floor). */
  async enough(): Promise<{ ok: boolean; free: number }> {
    if (this.minFreeBytes === 0) return { ok: true, free: Infinity };
    const free = await this.free(this.dir);
    return { ok: free >= this.minFreeBytes, free };
  }

  /** Calls `onLow` once the disk goes below the floor, until the returned function is called. */
  watch(onLow: () => void): () => void {
    if (this.minFreeBytes === 0) return () => undefined;
    this.running.add(onLow);
    if (!this.timer) {
      this.timer = setInterval(() => void this.look(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.running.delete(onLow);
      if (this.running.size > 0 || !this.timer) return;
      clearInterval(this.timer);
      this.timer = null;
    };
  }

  private async look(): Promise<void> {
    if (this.looking) return;
    this.looking = true;
    try {
      const { ok } = await this.enough();
      if (!ok) for (const onLow of [...this.running]) onLow();
    } catch {
      // The folder cannot be read (gone, a mount away): the next recording's start says so; these go on.
    } finally {
      this.looking = false;
    }
  }
}
