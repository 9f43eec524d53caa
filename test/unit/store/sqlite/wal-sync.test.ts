import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src/store/sqlite/db.js';
import { WalSync } from '../../../../src/store/sqlite/wal-sync.js';

describe('WalSync: synchronous=FULL with the fsync off the event loop', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function open(walSyncedByCaller: boolean) {
    const dir = mkdtempSync(join(tmpdir(), 'telenode-walsync-'));
    dirs.push(dir);
    const path = join(dir, 'store.db');
    return { path, db: openDatabase({ path, synchronous: 'FULL', walSyncedByCaller }) };
  }

  it('leaves COMMIT without its fsync only when the caller syncs the WAL itself', () => {
    const own = open(true);
    const plain = open(false);
    // 1 = NORMAL (WAL written at commit, synced before checkpoints), 2 = FULL (synced inside every COMMIT).
    expect(own.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(plain.db.pragma('synchronous', { simple: true })).toBe(2);
    own.db.close();
    plain.db.close();
  });

  it('syncs the WAL a commit wrote, and coalesces callers that arrive while a sync runs', async () => {
    const { path, db } = open(true);
    const sync = new WalSync(path);
    db.prepare('CREATE TABLE t (v TEXT)').run();
    db.prepare("INSERT INTO t VALUES ('x')").run();
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    const first = sync.durable();
    db.prepare("INSERT INTO t VALUES ('y')").run();
    // Arrived while the first runs (which may have started before this commit): they share the next one.
    const second = sync.durable();
    const third = sync.durable();
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    await Promise.all([first, second, third]);
    // Idle again: a new caller starts a sync of its own at once.
    const fourth = sync.durable();
    expect(fourth).not.toBe(second);
    await fourth;
    await sync.close();
    db.close();
  });
});
