/** A SQLite store for tests that wire the SMS core or a repo by hand: the file, its executor and committer. */
import { openDatabase, type Db } from '../../src/store/sqlite/db.js';
import { SqliteExecutor } from '../../src/store/sqlite/executor.js';
import { GroupCommitter } from '../../src/store/sqlite/group-commit.js';
import { AddressBook } from '../../src/contacts/address-book.js';
import { ContactRepo } from '../../src/store/contact-repo.js';

export interface TestStore {
  db: Db;
  sql: SqliteExecutor;
  committer: GroupCommitter;
  close(): void;
}

export function sqliteStore(path = ':memory:'): TestStore {
  const db = openDatabase({ path, synchronous: 'NORMAL' });
  return { db, sql: new SqliteExecutor(db), committer: new GroupCommitter(db), close: () => db.close() };
}

/** The address book on a test store (contacts CRUD goes through its committer). */
export function addressBookOn(store: Pick<TestStore, 'sql' | 'committer'>): AddressBook {
  return new AddressBook(new ContactRepo(store.sql), store.committer);
}
