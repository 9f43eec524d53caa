/** The group committer's contract (`run` one operation as a transaction) without a database, for unit tests. */
import type { Db } from '../../src/store/sqlite/db.js';

export const fakeCommitter = {
  /** Each operation commits on its own, at once; nothing is held for a later one (the outbox holds after commit). */
  serial: false,
  run<T>(operation: (db: Db) => T | Promise<T>): Promise<T> {
    return Promise.resolve().then(() => operation({} as Db));
  },
  /** Without other commits to share, a deferred operation commits on its own: at once, here. */
  defer<T>(operation: (db: Db) => T | Promise<T>): Promise<T> {
    return fakeCommitter.run(operation);
  },
};
