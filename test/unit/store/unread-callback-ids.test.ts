/** UnreadCallbackIds (src/store/unread-callback-ids.ts): what is looked for again, and for how long. */
import { describe, expect, it } from 'vitest';
import { UnreadCallbackIds } from '../../../src/store/unread-callback-ids.js';

describe('UnreadCallbackIds', () => {
  it('an inserted id not yet read is looked for at or below the last id read, until it is read', () => {
    const unread = new UnreadCallbackIds(10_000, () => 0);
    unread.inserted(5);
    unread.inserted(9);
    expect(unread.atOrBelow(4)).toEqual([]);
    expect(unread.atOrBelow(9)).toEqual([5, 9]);
    unread.read(5);
    expect(unread.atOrBelow(9)).toEqual([9]);
  });

  it('one that never shows (rolled back, or another node holds it) is given up after keepMs, for the sweep', () => {
    let now = 0;
    const unread = new UnreadCallbackIds(1_000, () => now);
    unread.inserted(3);
    now = 1_000;
    expect(unread.atOrBelow(10)).toEqual([3]);
    now = 1_001;
    expect(unread.atOrBelow(10)).toEqual([]);
    now = 0;
    expect(unread.atOrBelow(10)).toEqual([]);
  });
});
