import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../../src/shared/log.js';
import { WalCheckpointer } from '../../../../src/store/sqlite/checkpointer.js';
import { WAL_SIZE_LIMIT_BYTES, openDatabase } from '../../../../src/store/sqlite/db.js';
import { GroupCommitter } from '../../../../src/store/sqlite/group-commit.js';
import { WalSync } from '../../../../src/store/sqlite/wal-sync.js';
import { tempDir } from '../../../helpers/temp-dir.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A store whose main connection never checkpoints by itself (as the daemon's, whose threshold is a safety net). */
function store() {
  const dir = tempDir();
  const path = join(dir.path, 'store.db');
  const db = openDatabase({ path, synchronous: 'FULL', walSyncedByCaller: true });
  db.exec('CREATE TABLE IF NOT EXISTS filler (body BLOB)');
  const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
  const fill = (rows = 64) =>
    db.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run(Buffer.alloc(1500, i));
    })();
  const walSync = new WalSync(path);
  cleanups.push(async () => {
    await walSync.close();
    db.close();
    dir.remove();
  });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  return {
    path,
    db,
    insert,
    fill,
    walSync,
    databaseBytes: () => statSync(path).size,
    /** Frames in the WAL file (https://sqlite.org/walformat.html: a 32-byte header, then 24 + page size a frame). */
    walFrames: () => (statSync(`${path}-wal`).size - 32) / (24 + pageSize),
    walBytes: () => statSync(`${path}-wal`).size,
    /** The WAL header's salts: a writer that starts the WAL over from its beginning changes them. */
    walSalts: () => {
      const fd = openSync(`${path}-wal`, 'r');
      const header = Buffer.alloc(32);
      readSync(fd, header, 0, 32, 0);
      closeSync(fd);
      return header.subarray(16, 24).toString('hex');
    },
  };
}

function checkpointerOn(path: string, walSync: Pick<WalSync, 'durable'>, options: ConstructorParameters<typeof WalCheckpointer>[2] = {}) {
  const checkpointer = new WalCheckpointer(path, walSync as WalSync, { intervalMs: 3_600_000, ...options });
  cleanups.push(() => checkpointer.stop());
  return checkpointer;
}

/** A sync held until the test lets it go; the ones after it are immediate. */
function heldSync() {
  let calls = 0;
  let release: () => void = () => undefined;
  let fail: (err: Error) => void = () => undefined;
  let announce: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (announce = resolve));
  const sync = (): Promise<void> => {
    if (++calls > 1) return Promise.resolve();
    announce();
    return new Promise<void>((resolve, reject) => {
      release = resolve;
      fail = reject;
    });
  };
  return { sync, started, release: () => release(), fail: (err: Error) => fail(err), calls: () => calls };
}

describe('WAL checkpoints on the main thread, their syncs in the thread pool', () => {
  it('copies the WAL into the database file, and on its interval', async () => {
    const { path, fill, walSync, databaseBytes } = store();
    const before = databaseBytes();
    fill(512);
    expect(databaseBytes()).toBe(before); // the pages are only in the WAL so far
    checkpointerOn(path, walSync, { intervalMs: 50 });
    await expect.poll(databaseBytes, { timeout: 10_000, interval: 50 }).toBeGreaterThan(before + 500_000);
  });

  it('does not let the WAL start over from its beginning before the database file is synced', async () => {
    const { path, fill, walSync, walSalts } = store();
    fill();
    const dbSync = heldSync();
    const checkpointer = checkpointerOn(path, walSync, { syncFile: dbSync.sync });
    const salts = walSalts();
    const round = checkpointer.checkpoint();
    await dbSync.started; // every frame is copied, not yet on disk in the database file
    fill(); // a writer that would start the WAL over now, over frames whose pages only the page cache holds
    expect(walSalts()).toBe(salts);
    dbSync.release();
    await round;
    await checkpointer.checkpoint(); // the frames the writer added meanwhile
    fill(1); // ...and once every copied page is on disk it may
    expect(walSalts()).not.toBe(salts);
  });

  it('gives back the disk a long stretch without checkpoints took, once the WAL starts over', async () => {
    const { path, fill, walSync, walBytes } = store();
    // A reader that keeps its snapshot (a backup, a long query) holds every frame in the WAL while writes go on.
    const reader = openDatabase({ path, synchronous: 'FULL' });
    cleanups.push(() => void reader.close());
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM filler').get();
    let rows = 0;
    while (walBytes() <= WAL_SIZE_LIMIT_BYTES + 4 * 1024 * 1024) {
      fill(512);
      rows += 512;
    }
    const grown = walBytes();
    reader.exec('COMMIT');
    await walSync.durable();
    const checkpointer = checkpointerOn(path, walSync);
    await checkpointer.checkpoint(); // every frame copied: the next write starts the WAL over
    expect(walBytes()).toBe(grown);
    fill(1);
    expect(walBytes()).toBeLessThanOrEqual(WAL_SIZE_LIMIT_BYTES);
    // Nothing written was lost with the frames cut off.
    const again = openDatabase({ path, synchronous: 'FULL' });
    cleanups.push(() => void again.close());
    expect(again.prepare('SELECT count(*) AS n FROM filler').get()).toEqual({ n: rows + 1 });
  });

  it('copies only the frames the WAL sync has covered', async () => {
    const { path, fill, walSync, walFrames } = store();
    fill();
    let releaseWal: () => void = () => undefined;
    const heldWal = { durable: () => new Promise<void>((resolve) => (releaseWal = resolve)).then(() => walSync.durable()) };
    const checkpointer = checkpointerOn(path, heldWal);
    const framesAtStart = walFrames();
    const round = checkpointer.checkpoint();
    fill(); // committed while the sync runs: not known to be on disk
    expect(walFrames()).toBeGreaterThan(framesAtStart);
    releaseWal();
    const result = await round;
    expect(result).toEqual({ walFrames: walFrames(), checkpointedFrames: framesAtStart });
  });

  it('costs an idle store no sync: nothing committed since the WAL was all copied, nothing runs', async () => {
    const { path, fill, walSync } = store();
    fill();
    let syncs = 0;
    const checkpointer = checkpointerOn(path, walSync, { syncFile: async () => void syncs++ });
    expect(await checkpointer.checkpoint()).toMatchObject({ checkpointedFrames: expect.any(Number) });
    expect(syncs).toBe(1);
    expect(await checkpointer.checkpoint()).toBeNull();
    expect(syncs).toBe(1);
    fill(1);
    expect(await checkpointer.checkpoint()).not.toBeNull();
    expect(syncs).toBe(2);
  });

  it('starts the WAL over under a steady stream of commits, holding them for a round once the WAL is long', async () => {
    const { path, db, insert, walSync, walFrames } = store();
    const committer = new GroupCommitter(db, { durable: () => walSync.durable() });
    const restartFrames = 200;
    let largest = 0;
    checkpointerOn(path, walSync, { intervalMs: 10, restartFrames, holdWrites: (work) => committer.withWritesHeld(work) });
    // Two writers back to back, as a flat-out load: while one batch waits for its sync the next one commits, so a
    // round never finds a moment without a write.
    const writer = async (id: number) => {
      for (let batch = 0; batch < 300; batch++) {
        await Promise.all(Array.from({ length: 8 }, (_, i) => committer.run(() => insert.run(Buffer.alloc(1500, id + batch + i)))));
        largest = Math.max(largest, walFrames());
      }
    };
    await Promise.all([writer(0), writer(1)]);
    await committer.flushNow();
    expect(db.prepare('SELECT count(*) FROM filler').pluck().get()).toBe(2 * 300 * 8);
    // 4,800 rows of 1,500 bytes are ~5,900 frames of 2 KiB pages, all of them in the WAL without the held rounds.
    expect(largest).toBeGreaterThan(restartFrames);
    expect(largest).toBeLessThan(2_000);
  });

  it('keeps every frame in the WAL after a failed sync of the database file, and says so', async () => {
    const { path, fill, walSync, walSalts } = store();
    fill();
    const errors: unknown[] = [];
    const log = { error: (...args: unknown[]) => errors.push(args) } as unknown as Logger;
    const dbSync = heldSync();
    const checkpointer = checkpointerOn(path, walSync, { syncFile: dbSync.sync, log });
    const salts = walSalts();
    const round = checkpointer.checkpoint();
    await dbSync.started;
    dbSync.fail(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await round;
    expect(errors).toHaveLength(1);
    for (let i = 0; i < 5; i++) fill();
    expect(await checkpointer.checkpoint()).toBeNull();
    fill();
    expect(walSalts()).toBe(salts);
    expect(dbSync.calls()).toBe(1);
  });
});
