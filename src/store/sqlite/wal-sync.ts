/**
 * The fsync of `synchronous=FULL`, off the event loop (docs/decisions/0107).
 *
 * In WAL mode a commit appends its frames to the `-wal` file; FULL then
 * fsyncs that file inside COMMIT, on the calling thread — better-sqlite3 is
 * synchronous, so every group commit stopped the event loop for the length
 * of one fsync. Here the connection runs with `synchronous=NORMAL` (the WAL
 * is written at commit, and still synced before every checkpoint, see
 * https://sqlite.org/pragma.html#pragma_synchronous) and the committer calls
 * `durable()` after COMMIT: an fdatasync of the WAL file in libuv's thread
 * pool. fdatasync flushes every page of the file written before it was
 * called, whichever descriptor wrote it, so when it returns the commit is on
 * disk exactly as FULL would have left it; only then does anyone hear
 * "accepted". Meanwhile the event loop parses the next requests and commits
 * the next batch, whose own sync follows.
 *
 * Syncs are coalesced: a caller that arrives while one is running waits for
 * the next one (the running one may have started before its commit); every
 * caller that arrives meanwhile shares that next one.
 */
import { close, fdatasync, fstat, fsync, open } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const openAsync = promisify(open);
const closeAsync = promisify(close);
const fdatasyncAsync = promisify(fdatasync);
const fstatAsync = promisify(fstat);
const fsyncAsync = promisify(fsync);

/** How often a sync first checks that the WAL file it holds is still the one SQLite writes. */
const RECHECK_MS = 1000;

export class WalSync {
  private fd: number | null = null;
  private checkedAt = 0;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private closed = false;

  /** `databasePath`: the SQLite file; its WAL is `<path>-wal` (https://sqlite.org/walformat.html). */
  constructor(private readonly databasePath: string) {}

  /** Resolves once everything committed before the call is on disk. */
  durable(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.running) return (this.running = this.syncOnce());
    this.next ??= this.running.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.next;
  }

  /** Waits for the syncs in flight and closes the file. */
  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.next]);
    this.closed = true;
    if (this.fd !== null) await closeAsync(this.fd).catch(() => undefined);
    this.fd = null;
  }

  private startNext(): Promise<void> {
    this.next = null;
    return (this.running = this.syncOnce());
  }

  private async syncOnce(): Promise<void> {
    try {
      const fd = await this.walFile();
      await fdatasyncAsync(fd);
    } finally {
      if (!this.next) this.running = null;
    }
  }

  /**
   * The WAL's descriptor, opened on first use. SQLite keeps the file while a
   * connection is open (a checkpoint rewinds or truncates it, the inode stays);
   * if it was ever unlinked anyway, it is opened again, so a sync never goes
   * to a file nobody writes. The first open also syncs the folder, so that
   * the WAL's own directory entry survives a power cut.
   */
  private async walFile(): Promise<number> {
    if (this.fd !== null) {
      // SQLite unlinks the WAL only when its last connection closes, and ours stays open for the daemon's life: the
      // check guards against the file being removed from outside. Once a second, not before every sync — an fstat
      // was one more trip through the thread pool per commit (issue 18).
      const now = Date.now();
      if (now - this.checkedAt < RECHECK_MS) return this.fd;
      const stats = await fstatAsync(this.fd);
      this.checkedAt = now;
      if (stats.nlink > 0) return this.fd;
      await closeAsync(this.fd).catch(() => undefined);
      this.fd = null;
    }
    const fd = await openAsync(`${this.databasePath}-wal`, 'r');
    const folder = await openAsync(dirname(this.databasePath), 'r');
    try {
      await fsyncAsync(folder);
    } finally {
      await closeAsync(folder);
    }
    this.fd = fd;
    this.checkedAt = Date.now();
    return fd;
  }
}
