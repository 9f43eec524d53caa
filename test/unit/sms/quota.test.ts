/**
 * Quotas against a real SQLite store: parts are counted per UTC day and per
 * UTC month, a new day (or month) starts from nothing, and what a refused
 * message would have taken is not charged.
 */
import { SqliteExecutor } from '../../../src/store/sqlite/executor.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/sqlite/db.js';
import { GroupCommitter } from '../../../src/store/sqlite/group-commit.js';
import { QuotaRepo } from '../../../src/store/quota-repo.js';
import { QuotaGuard } from '../../../src/sms/quota.js';
import { ErrorCode } from '../../../src/shared/errors.js';
import { tempDir } from '../../helpers/temp-dir.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function guard(limits: { partsPerDay?: number | null; partsPerMonth?: number | null }) {
  const dir = tempDir('telenode-quota-');
  const db = openDatabase({ path: join(dir.path, 'q.db'), synchronous: 'NORMAL' });
  cleanups.push(() => {
    db.close();
    dir.remove();
  });
  const committer = new GroupCommitter(db);
  const quota = new QuotaGuard(new Map([['u', limits]]), new QuotaRepo(new SqliteExecutor(db)));
  const charge = (parts: number, at: string) => committer.run(() => quota.charge('u', parts, Date.parse(at)));
  return { quota, charge };
}

describe('QuotaGuard', () => {
  it('refuses what would pass the day, charges nothing for it, and starts again at 00:00 UTC', async () => {
    const { quota, charge } = guard({ partsPerDay: 5 });
    await charge(3, '2026-11-22T10:00:00Z');
    await expect(charge(3, '2026-11-22T23:59:59.999Z')).rejects.toMatchObject({
      code: ErrorCode.QUOTA_EXCEEDED,
      details: { period: 'day', used: 3, parts: 3 },
    });
    await charge(2, '2026-11-22T23:59:59.999Z');
    await expect(quota.check('u', 1, Date.parse('2026-11-22T23:59:59.999Z'))).rejects.toThrow(/5 SMS parts per day/);
    await charge(5, '2026-11-23T00:00:00Z');
  });

  it('counts the month across days and starts again on the 1st', async () => {
    const { charge } = guard({ partsPerDay: 10, partsPerMonth: 12 });
    await charge(10, '2026-11-01T08:00:00Z');
    await charge(2, '2026-11-30T08:00:00Z');
    await expect(charge(1, '2026-11-30T09:00:00Z')).rejects.toMatchObject({ details: { period: 'month', limit: 12 } });
    await charge(10, '2026-12-01T00:00:00Z');
  });

  it('leaves users without a limit alone', async () => {
    const { quota } = guard({ partsPerDay: null, partsPerMonth: null });
    await expect(quota.check('u', 1_000_000, Date.now())).resolves.toBeUndefined();
    await expect(quota.check('someone-else', 1_000_000, Date.now())).resolves.toBeUndefined();
  });
});
