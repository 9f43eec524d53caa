/**
 * The recordings folder's floor (src/voice/ozml/disk-floor.ts): while recordings run, the disk is looked at on an
 * interval and every running recording hears when it goes below the floor; none is looked at when none runs.
 */
import { describe, expect, it } from 'vitest';
import { DiskFloor, freeBytes } from '../../../../src/voice/ozml/disk-floor.js';
import { tempDir, waitUntil } from '../../../helpers/temp-dir.js';

describe('DiskFloor', () => {
  it('tells every running recording once the disk goes below the floor, and none that stopped', async () => {
    let free = 500;
    let looks = 0;
    const floor = new DiskFloor('/recordings', 100, 5, async () => {
      looks++;
      return free;
    });
    expect(await floor.enough()).toEqual({ ok: true, free: 500 });
    const heard: string[] = [];
    const stopA = floor.watch(() => heard.push('a'));
    const stopB = floor.watch(() => heard.push('b'));
    await waitUntil(() => looks >= 3, 2000, 'looked at on its interval');
    expect(heard).toEqual([]);
    stopB();
    free = 50;
    await waitUntil(() => heard.length > 0, 2000, 'heard the disk go low');
    expect(new Set(heard)).toEqual(new Set(['a']));
    expect(await floor.enough()).toEqual({ ok: false, free: 50 });
    stopA();
    const after = looks;
    await new Promise((resolve) => setTimeout(resolve, 50)); // ten intervals: nothing runs, nothing is looked at
    expect(looks).toBe(after);
  });

  it('watches nothing without a floor, and reads the real disk by default', async () => {
    const dir = tempDir('telenode-floor-');
    try {
      const none = new DiskFloor(dir.path, 0, 1, async () => {
        throw new Error('never asked');
      });
      expect((await none.enough()).ok).toBe(true);
      none.watch(() => {
        throw new Error('never told');
      })();
      expect(await freeBytes(dir.path)).toBeGreaterThan(0);
      expect((await new DiskFloor(dir.path, 1).enough()).ok).toBe(true);
    } finally {
      dir.remove();
    }
  });
});
