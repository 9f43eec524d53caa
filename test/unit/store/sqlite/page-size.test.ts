/**
 * A new SQLite store is created with 2 KiB pages (decision 0116); a store
 * created with SQLite's default 4 KiB pages keeps them, and keeps working.
 * Either way its connection caches at most 2,000 KiB of pages, SQLite's own
 * default, not better-sqlite3's 16,000 (decision 0120).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NEW_STORE_PAGE_SIZE, PAGE_CACHE_KIB, openDatabase } from '../../../../src/store/sqlite/db.js';
import { SqliteExecutor } from '../../../../src/store/sqlite/executor.js';
import { MessageRepo } from '../../../../src/store/message-repo.js';
import { MessageStatus } from '../../../../src/sms/message.js';
import { storedMessage } from '../../../support/stored-message.js';
import { tempDir } from '../../../helpers/temp-dir.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function open(path: string) {
  const db = openDatabase({ path, synchronous: 'NORMAL' });
  cleanups.unshift(() => db.close());
  return db;
}

describe('store page size', () => {
  it('creates a new store with 2 KiB pages, in WAL mode', () => {
    const dir = tempDir('telenode-page-size-');
    cleanups.push(() => dir.remove());
    const db = open(join(dir.path, 'new.db'));
    expect(NEW_STORE_PAGE_SIZE).toBe(2048);
    expect(db.pragma('page_size', { simple: true })).toBe(2048);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('caches 2,000 KiB of pages, not better-sqlite3’s 16,000 KiB (negative: KiB, not pages)', () => {
    const dir = tempDir('telenode-page-size-');
    cleanups.push(() => dir.remove());
    const plain = new Database(':memory:');
    expect(plain.pragma('cache_size', { simple: true }), 'better-sqlite3 still builds SQLite with 16,000 KiB').toBe(-16000);
    plain.close();
    const db = open(join(dir.path, 'new.db'));
    expect(PAGE_CACHE_KIB).toBe(2000);
    expect(db.pragma('cache_size', { simple: true })).toBe(-2000);
  });

  it('keeps the 4 KiB pages of a store created before, with its messages, and stores new ones', async () => {
    const dir = tempDir('telenode-page-size-');
    cleanups.push(() => dir.remove());
    const path = join(dir.path, 'old.db');
    const first = open(path);
    first.pragma('wal_checkpoint(TRUNCATE)');
    first.close();
    cleanups.shift();
    // As SQLite's default made it: rewritten with 4 KiB pages (only possible outside WAL mode).
    const old = new Database(path);
    old.pragma('journal_mode = DELETE');
    old.pragma('page_size = 4096');
    old.exec('VACUUM');
    await new MessageRepo(new SqliteExecutor(old)).insert(storedMessage({ id: 'before', status: MessageStatus.Delivered }));
    old.close();

    const db = open(path);
    expect(db.pragma('page_size', { simple: true })).toBe(4096);
    const repo = new MessageRepo(new SqliteExecutor(db));
    await repo.insert(storedMessage({ id: 'after', status: MessageStatus.Accepted }));
    expect((await repo.get('before'))?.status).toBe(MessageStatus.Delivered);
    expect((await repo.get('after'))?.status).toBe(MessageStatus.Accepted);
  });
});
