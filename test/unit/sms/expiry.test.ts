/** Message deadlines against the real store: only unfinished messages past their own deadline expire, once. */
import { SqliteExecutor } from '../../../src/store/sqlite/executor.js';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/sqlite/db.js';
import { GroupCommitter } from '../../../src/store/sqlite/group-commit.js';
import { MessageRepo } from '../../../src/store/message-repo.js';
import type { StoredMessage } from '../../../src/sms/message.js';
import { StatusWriter } from '../../../src/sms/status-writer.js';
import { ExpiryWatcher } from '../../../src/sms/expiry.js';
import { MessageStatus } from '../../../src/sms/message.js';
import { silentLogger } from '../../../src/shared/log.js';
import { storedMessage } from '../../support/stored-message.js';

const db = openDatabase({ path: ':memory:' });
afterAll(() => db.close());
const repo = new MessageRepo(new SqliteExecutor(db));
const changes: string[] = [];
const writer = new StatusWriter(repo, async (m, previous) => void changes.push(`${m.id}:${previous}->${m.status}`));
let now = 1_000_000;
const watcher = new ExpiryWatcher({ repo, committer: new GroupCommitter(db), statusWriter: writer, log: silentLogger(), now: () => now });

async function insert(id: string, status: MessageStatus, expiresAt: number | null): Promise<void> {
  const m: StoredMessage = storedMessage({ id, dialect: 'iovox', sender: 's', recipient: '+447700900123', text: 't', status, expiresAt });
  await repo.insert(m);
  if (status !== MessageStatus.Accepted) await repo.update(m);
}

describe('ExpiryWatcher', () => {
  it('expires unfinished messages at their deadline and leaves the rest', async () => {
    await insert('due-accepted', MessageStatus.Accepted, now);
    await insert('due-buffered', MessageStatus.Buffered, now - 1);
    await insert('not-yet', MessageStatus.Submitted, now + 1);
    await insert('no-deadline', MessageStatus.Submitted, null);
    await insert('delivered', MessageStatus.Delivered, now - 10);
    expect(await watcher.sweep()).toBe(2);
    expect(changes.sort()).toEqual(['due-accepted:accepted->expired', 'due-buffered:buffered->expired']);
    expect(await repo.get('due-accepted')).toMatchObject({ status: 'expired', errorCode: 'TN_ERR_MESSAGE_EXPIRED', doneAt: now });
    expect((await repo.get('not-yet'))!.status).toBe('submitted');
    expect((await repo.get('delivered'))!.status).toBe('delivered');

    expect(await watcher.sweep()).toBe(0);
    now += 1;
    expect(await watcher.sweep()).toBe(1);
    expect((await repo.get('not-yet'))!.status).toBe('expired');
    expect((await repo.get('no-deadline'))!.status).toBe('submitted');
  });
});
