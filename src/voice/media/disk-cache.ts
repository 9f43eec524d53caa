/**
 * A folder of cached files kept under a size cap, the least recently used going first. Speech and downloaded
 * prompts are cached on disk; a text or a URL that differs on every call (an amount, a reference, a caller's
 * variable in a Play URL) would otherwise add a file a call for as long as the node runs, until the disk the
 * store lives on is full and every accepted message with it.
 *
 * The index is in memory, rebuilt at start from the folder (oldest modification first, and trimmed to the cap
 * then, so a lowered cap takes effect on restart). A hit read from disk moves to the end and is touched, so the
 * order survives a restart. Files another process writes into the same folder are known from the next start.
 * Subfolders and dot files are not the cache's; `workDir` (`.work`) is where a caller makes a file before it is
 * cached (a TTS command's input and output), cleared of a crashed run's leftovers at start.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A write interrupted by a crash leaves its temporary file; one this old is nobody's write in progress. */
const STALE_TEMPORARY_MS = 10 * 60_000;
const TEMPORARY_SUFFIX = '.tmp';

export class DiskCache {
  /** File name → bytes, least recently used first (a Map keeps insertion order). */
  private readonly files = new Map<string, number>();
  private bytes = 0;
  readonly workDir: string;

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
  ) {
    this.workDir = join(dir, '.work');
    mkdirSync(this.workDir, { recursive: true });
    this.scan();
  }

  /** Bytes the cached files take now. */
  get size(): number {
    return this.bytes;
  }

  /** The cached file's content, or null when it is not cached (or was removed behind the cache's back). */
  read(name: string): Buffer | null {
    const bytes = this.files.get(name);
    if (bytes === undefined) return null;
    const path = join(this.dir, name);
    let content: Buffer;
    try {
      content = readFileSync(path);
    } catch {
      this.forget(name);
      return null;
    }
    this.files.delete(name);
    this.files.set(name, bytes);
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      // The order in memory is right; only the next start's order would be older.
    }
    return content;
  }

  /**
   * Keep `content` under `name` (written whole, then renamed: a reader never sees half a file); evicts to the cap.
   * Returns whether it was kept: a cache that cannot write (a full disk) must not fail the call that has the audio.
   */
  write(name: string, content: Buffer): boolean {
    if (!/^[\w-][\w.-]*$/.test(name) || name.endsWith(TEMPORARY_SUFFIX)) throw new Error(`not a cache file name: ${name}`);
    if (this.maxBytes === 0) return false;
    const path = join(this.dir, name);
    const temporary = `${path}.${process.pid}${TEMPORARY_SUFFIX}`;
    try {
      writeFileSync(temporary, content);
      renameSync(temporary, path);
    } catch {
      this.remove(temporary);
      return false;
    }
    this.forget(name);
    this.files.set(name, content.length);
    this.bytes += content.length;
    this.evictToCap();
    return this.files.has(name);
  }

  private forget(name: string): void {
    const bytes = this.files.get(name);
    if (bytes === undefined) return;
    this.files.delete(name);
    this.bytes -= bytes;
  }

  private evictToCap(): void {
    for (const name of this.files.keys()) {
      if (this.bytes <= this.maxBytes) return;
      // A file that cannot be removed (its permissions changed under us) leaves the index all the same: the cap is
      // then approximate, but a cache that cannot evict must not fail the call that is writing to it.
      this.remove(join(this.dir, name));
      this.forget(name);
    }
  }

  private remove(path: string): void {
    try {
      rmSync(path, { force: true });
    } catch {
      // Nothing to do: the index forgets it either way (evictToCap), a temporary file is swept at the next start.
    }
  }

  private scan(): void {
    const found: { name: string; bytes: number; modified: number }[] = [];
    const now = Date.now();
    const stale = (path: string) => {
      try {
        return now - statSync(path).mtimeMs > STALE_TEMPORARY_MS;
      } catch {
        return false;
      }
    };
    for (const name of readdirSync(this.workDir)) {
      const path = join(this.workDir, name);
      if (stale(path)) rmSync(path, { recursive: true, force: true });
    }
    for (const entry of readdirSync(this.dir, { withFileTypes: true })) {
      if (!entry.isFile() || entry.name.startsWith('.')) continue;
      const path = join(this.dir, entry.name);
      let stat;
      try {
        stat = statSync(path);
      } catch {
        continue;
      }
      if (entry.name.endsWith(TEMPORARY_SUFFIX)) {
        if (stale(path)) rmSync(path, { force: true });
        continue;
      }
      found.push({ name: entry.name, bytes: stat.size, modified: stat.mtimeMs });
    }
    found.sort((a, b) => a.modified - b.modified);
    for (const file of found) {
      this.files.set(file.name, file.bytes);
      this.bytes += file.bytes;
    }
    this.evictToCap();
  }
}
