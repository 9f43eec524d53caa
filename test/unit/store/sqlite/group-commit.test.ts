import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { GroupCommitter } from '../../../../src/store/sqlite/group-commit.js';

function setup() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const commits: number[] = [];
  const committer = new GroupCommitter(db, { onCommit: (n) => commits.push(n) });
  return { db, committer, commits };
}

describe('group commit', () => {
  it('commits writes queued in one turn of the event loop as one transaction', async () => {
    const { db, committer, commits } = setup();
    const writes = Array.from({ length: 100 }, (_, i) => committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run(`v${i}`)));
    await Promise.all(writes);
    expect(commits).toEqual([100]);
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(100);
  });

  it('rolls back only the failing operation of a batch', async () => {
    const { db, committer } = setup();
    const ok = committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('kept'));
    const bad = committer.run((d) => {
      d.prepare('INSERT INTO t (v) VALUES (?)').run('half-done');
      d.prepare('INSERT INTO t (v) VALUES (NULL)').run();
    });
    await expect(ok).resolves.toBeDefined();
    await expect(bad).rejects.toThrow(/NOT NULL/);
    expect(db.prepare('SELECT v FROM t').all()).toEqual([{ v: 'kept' }]);
  });

  it('runs async operations (the store ports return promises) in the batch, and rolls back only the one that throws', async () => {
    const { db, committer, commits } = setup();
    const insert = async (d: Database.Database, v: string | null) => {
      await Promise.resolve();
      d.prepare('INSERT INTO t (v) VALUES (?)').run(v);
    };
    const first = committer.run(async (d) => insert(d, 'a'));
    const bad = committer.run(async (d) => {
      await insert(d, 'half-done');
      await insert(d, null);
    });
    const last = committer.run(async (d) => insert(d, 'b'));
    await expect(bad).rejects.toThrow(/NOT NULL/);
    await Promise.all([first, last]);
    expect(commits).toEqual([3]);
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT v FROM t ORDER BY id').all()).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('resolves only after the data is committed', async () => {
    const { db, committer } = setup();
    await committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('x'));
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT v FROM t').get()).toEqual({ v: 'x' });
  });

  it('lets a deferred write ride along with the next commit instead of committing on its own', async () => {
    const { db, committer, commits } = setup();
    const deferred = committer.defer((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('history'));
    await new Promise((r) => setTimeout(r, 50));
    expect(commits).toEqual([]); // nothing committed yet: no fsync of its own
    await committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('message'));
    await deferred;
    expect(commits).toEqual([2]);
    expect(db.prepare('SELECT v FROM t ORDER BY id').all()).toEqual([{ v: 'history' }, { v: 'message' }]);
  });

  it('commits a deferred write within its delay when nothing else commits, and at flushNow', async () => {
    const { db, committer, commits } = setup();
    const started = Date.now();
    await committer.defer((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('alone'), 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(commits).toEqual([1]);
    const waiting = committer.defer((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('at shutdown'), 60_000);
    await committer.flushNow();
    await waiting;
    expect(commits).toEqual([1, 1]);
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(2);
  });
});
