import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { GroupCommitter } from '../../../src/store/group-commit.js';

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

  it('resolves only after the data is committed', async () => {
    const { db, committer } = setup();
    await committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('x'));
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT v FROM t').get()).toEqual({ v: 'x' });
  });
});
