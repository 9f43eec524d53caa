import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/shared/ids.js';

describe('newId', () => {
  it('is a GUID that API clients can keep (8-4-4-4-12 hex, RFC 9562 variant)', () => {
    expect(newId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('grows with time, also within one millisecond, so new rows append to the store indexes', () => {
    const ids = Array.from({ length: 5000 }, () => newId());
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stays in order when more ids are made in one millisecond than the counter holds', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('carries its creation time in the first 48 bits', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    // A burst of more ids than fit in a millisecond (the test above) borrows the next few milliseconds.
    expect(ms).toBeLessThanOrEqual(after + 10);
  });
});
