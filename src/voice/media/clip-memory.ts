/**
 * Clips held in memory by key (speech by text and voice, prompts by file or URL), the least recently used going
 * first once there are more than `maxEntries` or they take more than `maxBytes`. A load in progress is shared by
 * everyone asking for the same key; a failed one is forgotten, so the next asks again.
 *
 * Bounded by bytes, not only by count: a caller's variable in a Play URL makes every URL a new key, and a long
 * prompt is megabytes of PCM, so a count alone would let a run of calls hold gigabytes.
 */
import type { AudioClip } from './audio-clip.js';

interface Held {
  clip: Promise<AudioClip>;
  /** Its PCM's size once loaded; 0 while loading. */
  bytes: number;
}

export class ClipMemory {
  /** Least recently used first (a Map keeps insertion order). */
  private readonly held = new Map<string, Held>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  /** Bytes of PCM held now. */
  get size(): number {
    return this.bytes;
  }

  /** The clip for `key`: held, being loaded, or loaded now by `load`. */
  get(key: string, load: () => Promise<AudioClip>): Promise<AudioClip> {
    const found = this.held.get(key);
    if (found) {
      this.held.delete(key);
      this.held.set(key, found);
      return found.clip;
    }
    const entry: Held = { clip: load(), bytes: 0 };
    this.held.set(key, entry);
    entry.clip.then(
      (clip) => {
        if (this.held.get(key) !== entry) return; // evicted while it loaded
        entry.bytes = clip.pcm.byteLength;
        this.bytes += entry.bytes;
        this.trim();
      },
      () => {
        if (this.held.get(key) === entry) this.held.delete(key);
      },
    );
    this.trim();
    return entry.clip;
  }

  private trim(): void {
    for (const [key, entry] of this.held) {
      if (this.held.size <= this.maxEntries && this.bytes <= this.maxBytes) return;
      this.held.delete(key);
      this.bytes -= entry.bytes;
    }
  }
}
