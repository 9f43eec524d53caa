/**
 * WAL checkpoints on the main thread, with their syncs in libuv's thread pool (decision 0128).
 *
 * A checkpoint copies the pages committed to the `-wal` file into the database file, so that the WAL can start over
 * from its beginning (https://sqlite.org/wal.html#checkpointing). SQLite's own checkpoint syncs the WAL before it
 * copies and the database file after, inside the call; better-sqlite3 is synchronous, so on our event loop each fsync
 * would stop every request behind it. Here a connection of its own runs the checkpoint with `synchronous=OFF` — it
 * only copies — and the two syncs are ours, off the event loop, in the order power loss needs them:
 *
 * 1. A second connection opens a read transaction. Its snapshot ends at the WAL's last frame now; while it is open, a
 *    writer cannot start the WAL over (sqlite3.c walRestartLog: that takes every reader slot but the first).
 * 2. `WalSync.durable()`: the WAL's frames up to that snapshot are on disk. A PASSIVE checkpoint copies no frame past
 *    a live reader's snapshot, so it copies only durable frames — never half a transaction the WAL could still lose.
 * 3. The checkpoint copies them into the database file (the kernel's page cache; no fsync).
 * 4. fsync of the database file in the thread pool: the copied pages are on disk.
 * 5. The read transaction ends; a writer may now write the WAL over from its start.
 *
 * Under a steady stream of commits a round's snapshot is behind the WAL's end by the time it copies, so the WAL never
 * starts over: it grew to ~124 MB in a flat-out run of 20,000 messages, and would until the main connection's safety-net
 * threshold checkpointed 200 MB on the event loop. Once the WAL holds `restartFrames`, a round runs with the group
 * committer's writes held (`holdWrites`): it copies every frame, and the next write starts the WAL over.
 *
 * If that fsync fails, the read transaction stays open for good: the WAL is never written over and keeps every frame
 * (SQLite replays them at the next start), and the failure is logged. A process crash never needed the syncs — the
 * kernel's page cache survives it — power loss is what they are for. The main connection keeps a large automatic
 * checkpoint threshold only as a safety net (db.ts).
 */
import { close, fsync, open } from 'node:fs';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type { Logger } from '../../shared/log.js';
import type { WalSync } from './wal-sync.js';

const openAsync = promisify(open);
const closeAsync = promisify(close);
const fsyncAsync = promisify(fsync);

/** Both connections read and copy a page at a time: a small page cache each (KiB). */
const CACHE_KIB = 256;
/** Frames in the WAL past which a round holds the writes so that the WAL starts over: 8 MiB of 2 KiB pages. */
const RESTART_FRAMES = 4096;

/** What one checkpoint found (PRAGMA wal_checkpoint): frames in the WAL, and how many of them are in the database file. */
export interface CheckpointResult {
  walFrames: number;
  checkpointedFrames: number;
}

export interface WalCheckpointerOptions {
  intervalMs?: number;
  log?: Logger;
  /** fsync of the database file (tests hold it back). */
  syncFile?: (fd: number) => Promise<void>;
  /** Runs a round while no write commits (GroupCommitter.withWritesHeld); without it the WAL starts over only between writes. */
  holdWrites?: <T>(work: () => Promise<T>) => Promise<T>;
  /** Frames in the WAL from which a round holds the writes (default 4096). */
  restartFrames?: number;
}

export class WalCheckpointer {
  /** Runs the checkpoints, synchronous=OFF: it copies, the syncs are ours. */
  private readonly copier: Database.Database;
  /** Holds the read transaction that keeps the WAL from starting over until the copied pages are durable. */
  private readonly pin: Database.Database;
  private readonly readAnything: Database.Statement;
  private readonly dataVersion: Database.Statement;
  /** PRAGMA data_version when a round last left the whole WAL in the database file: nothing to do while it holds. */
  private settledAtVersion: number | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly syncFile: (fd: number) => Promise<void>;
  private round: Promise<CheckpointResult | null> | null = null;
  private databaseFd: number | null = null;
  /** Frames in the WAL at the last round that left some of them uncopied (0 when it copied all). */
  private walFrames = 0;
  /** A sync of the database file failed: the pin stays, no checkpoint runs again. */
  private failed = false;
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly walSync: WalSync,
    private readonly options: WalCheckpointerOptions = {},
  ) {
    this.syncFile = options.syncFile ?? fsyncAsync;
    this.copier = new Database(path);
    this.copier.pragma('synchronous = OFF');
    this.copier.pragma(`cache_size = -${CACHE_KIB}`);
    this.pin = new Database(path);
    this.pin.pragma(`cache_size = -${CACHE_KIB}`);
    this.readAnything = this.pin.prepare('SELECT count(*) FROM sqlite_schema');
    // Changes whenever another connection commits (https://sqlite.org/pragma.html#pragma_data_version).
    this.dataVersion = this.pin.prepare('PRAGMA data_version').pluck();
    this.timer = setInterval(() => void this.checkpoint(), options.intervalMs ?? 500);
    this.timer.unref();
  }

  /**
   * One checkpoint (or the one running); null when none ran (nothing committed since the WAL was all copied, or
   * stopped). Resolves once its pages are durable and the WAL may start over.
   */
  checkpoint(): Promise<CheckpointResult | null> {
    if (this.stopped || this.failed) return Promise.resolve(null);
    this.round ??= this.nextRound().finally(() => (this.round = null));
    return this.round;
  }

  private nextRound(): Promise<CheckpointResult | null> {
    const holdWrites = this.options.holdWrites;
    if (holdWrites && this.walFrames >= (this.options.restartFrames ?? RESTART_FRAMES)) return holdWrites(() => this.runRound());
    return this.runRound();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.round;
    this.copier.close();
    this.pin.close(); // a failed sync's pin too: the WAL keeps its frames, and the main connection's close checkpoints with its own syncs
    if (this.databaseFd !== null) await closeAsync(this.databaseFd).catch(() => undefined);
    this.databaseFd = null;
  }

  private async runRound(): Promise<CheckpointResult | null> {
    // An idle node: no commit since the WAL was all copied, so no sync to pay for.
    const version = this.dataVersion.get() as number;
    if (version === this.settledAtVersion) return null;
    this.pin.exec('BEGIN');
    let release = true;
    try {
      this.readAnything.get();
      try {
        await this.walSync.durable();
      } catch {
        return null; // not known to be durable: nothing is copied; the commits that wait for the same sync fail and retry
      }
      if (this.stopped) return null;
      let result: CheckpointResult;
      try {
        const [row] = this.copier.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
        result = { walFrames: row?.log ?? 0, checkpointedFrames: row?.checkpointed ?? 0 };
        // All copied: the next write starts the WAL over, so the next round need not hold the writes.
        this.walFrames = result.checkpointedFrames === result.walFrames ? 0 : result.walFrames;
      } catch {
        return null; // busy or locked: the next round tries again
      }
      if (result.checkpointedFrames > 0) {
        try {
          this.databaseFd ??= await openAsync(this.path, 'r');
          await this.syncFile(this.databaseFd);
        } catch (err) {
          release = false;
          this.failed = true;
          clearInterval(this.timer);
          this.options.log?.error(
            { err, path: this.path },
            'the database file could not be synced after a checkpoint: the WAL keeps every frame from now on and grows until the node restarts',
          );
          return result;
        }
      }
      if (result.checkpointedFrames === result.walFrames) this.settledAtVersion = version;
      return result;
    } finally {
      if (release) this.pin.exec('COMMIT');
    }
  }
}
