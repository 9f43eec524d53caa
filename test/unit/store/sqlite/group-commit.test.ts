import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { GroupCommitter, type GroupCommitterOptions } from '../../../../src/store/sqlite/group-commit.js';

/** A committer on a fresh table `t`; `commits` lists each commit's batch size. */
function setup(options: Omit<GroupCommitterOptions, 'onCommit'> = {}) {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const commits: number[] = [];
  const committer = new GroupCommitter(db, { ...options, onCommit: (n) => commits.push(n) });
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

  it('is serial: the caller of a rolled-back operation hears so before any operation of the next batch runs', async () => {
    const { committer } = setup();
    expect(committer.serial).toBe(true);
    const order: string[] = [];
    let next: Promise<unknown> | undefined;
    const failing = committer
      .run((d) => {
        next ??= committer.run(() => void order.push('next batch ran')); // queued while this batch runs: the next one
        d.prepare('INSERT INTO t (v) VALUES (NULL)').run();
      })
      .catch(() => void order.push('caller told of the rollback'));
    await failing;
    await next;
    expect(order).toEqual(['caller told of the rollback', 'next batch ran']);
  });

  it('resolves only after the data is committed', async () => {
    const { db, committer } = setup();
    await committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('x'));
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT v FROM t').get()).toEqual({ v: 'x' });
  });

  describe('with a least interval between commits (store.commitIntervalMs)', () => {
    function spaced(minIntervalMs: number, fullBatch?: number) {
      const { committer, commits } = setup({ minIntervalMs, fullBatch });
      const insert = (v: string) => committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run(v));
      return { committer, commits, insert };
    }
    const nextTurn = () => new Promise((r) => setImmediate(r));

    it('commits the first write after a quiet spell at once, however long the interval', async () => {
      const { commits, insert } = spaced(60_000);
      await insert('first');
      expect(commits).toEqual([1]);
    });

    it('holds writes queued within the interval, in separate turns, for one shared commit', async () => {
      const { committer, commits, insert } = spaced(1000);
      await insert('a');
      let settled = 0;
      const b = insert('b').then(() => settled++);
      await nextTurn();
      await nextTurn();
      const c = insert('c').then(() => settled++);
      await nextTurn();
      await nextTurn();
      // Without the interval each of b and c would have committed in its own turn by now.
      expect(commits).toEqual([1]);
      expect(settled).toBe(0);
      await committer.flushNow();
      await Promise.all([b, c]);
      expect(commits).toEqual([1, 2]);
    });

    it('ends the hold once a full batch waits: those writes commit at the end of that turn, not after the interval', async () => {
      const { committer, commits, insert } = spaced(60_000, 4);
      await insert('first');
      const held = [insert('b'), insert('c')];
      await nextTurn();
      await nextTurn();
      expect(commits).toEqual([1]); // two waiting: still held
      // A deferred write counts toward the batch, as it rides along in it.
      held.push(
        committer.defer((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('deferred')),
        insert('d'),
      );
      await Promise.all(held); // would wait a minute without the early end
      expect(commits).toEqual([1, 4]);
      // The interval still holds the next write after that commit: a batch ended early does not end holding.
      let settled = false;
      const after = insert('e').then(() => (settled = true));
      await nextTurn();
      await nextTurn();
      expect(settled).toBe(false);
      await committer.flushNow();
      await after;
    });

    it('does not hold a write that finds a full batch already waiting (deferred writes queued before it)', async () => {
      const { committer, commits, insert } = spaced(60_000, 4);
      await insert('first');
      const deferred = ['x', 'y', 'z'].map((v) => committer.defer((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run(v), 60_000));
      await Promise.all([insert('now'), ...deferred]);
      expect(commits).toEqual([1, 4]);
    });

    it('commits what waits once the interval is up, without anyone flushing', async () => {
      const { commits, insert } = spaced(20);
      await insert('a');
      const started = performance.now();
      await insert('b');
      expect(commits).toEqual([1, 1]);
      // Timers may fire a millisecond early by the clock read here; never much before the interval.
      expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    });
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

  it('commits a short-delay deferred write by its own deadline, not by the longer one queued before it', async () => {
    const { db, committer, commits } = setup();
    const history = committer.defer((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('call history'), 60_000);
    const started = performance.now();
    await committer.defer((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('receipt'), 20);
    // Before the timer honoured the earliest deadline, the receipt waited the call history's minute.
    expect(performance.now() - started).toBeLessThan(10_000);
    await history;
    expect(commits).toEqual([2]); // the long one rode along with the short one's commit
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(2);
  });

  it('holds the writes while withWritesHeld runs: writes queued meanwhile commit after it, and flushNow waits for it', async () => {
    const { db, committer, commits } = setup();
    const count = () => (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
    await committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('before').changes);
    let release: () => void = () => undefined;
    const held = committer.withWritesHeld(async () => {
      await new Promise<void>((r) => (release = r));
      return 'done';
    });
    const queued = committer.run((d) => d.prepare('INSERT INTO t (v) VALUES (?)').run('queued').changes);
    let flushed = false;
    const flushing = committer.flushNow().then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(count()).toBe(1); // the queued write waits for the hold
    expect(flushed).toBe(false);
    release();
    await expect(held).resolves.toBe('done');
    await expect(queued).resolves.toBe(1);
    await flushing;
    expect(commits).toEqual([1, 1]);
  });

  describe('with the WAL synced off the event loop (docs/decisions/0107)', () => {
    function withManualSync() {
      const syncs: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
      const durable = () => new Promise<void>((resolve, reject) => syncs.push({ resolve, reject }));
      return { ...setup({ durable }), syncs };
    }
    const insert = (v: string) => (d: Database.Database) => d.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((r) => setImmediate(r));
    };

    it('answers nobody until the sync after the commit has finished', async () => {
      const { db, committer, syncs } = withManualSync();
      let answered = false;
      const write = committer.run(insert('accepted')).then((n) => ((answered = true), n));
      await until(() => syncs.length === 1);
      // Committed (another reader sees it) but not yet on disk: the caller must not hear "accepted".
      expect(db.prepare('SELECT v FROM t').get()).toEqual({ v: 'accepted' });
      await new Promise((r) => setTimeout(r, 20));
      expect(answered).toBe(false);
      syncs[0]!.resolve();
      await expect(write).resolves.toBe(1);
    });

    it('commits the next batch while the previous one waits for the disk', async () => {
      const { committer, syncs, commits } = withManualSync();
      const first = committer.run(insert('one'));
      await until(() => syncs.length === 1);
      const second = committer.run(insert('two'));
      await until(() => syncs.length === 2);
      expect(commits).toEqual([1, 1]);
      syncs[1]!.resolve();
      syncs[0]!.resolve();
      await expect(Promise.all([first, second])).resolves.toEqual([1, 1]);
    });

    it('fails the batch when the sync fails, and flushNow waits for syncs in flight', async () => {
      const { committer, syncs } = withManualSync();
      const lost = committer.run(insert('not known to be on disk'));
      await until(() => syncs.length === 1);
      syncs[0]!.reject(new Error('EIO'));
      await expect(lost).rejects.toThrow('EIO');
      const kept = committer.run(insert('kept'));
      let flushed = false;
      const flushing = committer.flushNow().then(() => (flushed = true));
      await until(() => syncs.length === 2);
      await new Promise((r) => setTimeout(r, 20));
      expect(flushed).toBe(false);
      syncs[1]!.resolve();
      await flushing;
      await expect(kept).resolves.toBe(1);
    });
  });
});
