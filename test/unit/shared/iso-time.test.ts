import { describe, expect, it } from 'vitest';
import { isoTime } from '../../../src/shared/iso-time.js';

describe('isoTime', () => {
  it('writes what toISOString writes, across seconds, days, leap days and years, in any order', () => {
    const times = [
      0,
      1,
      999,
      1000,
      59_999,
      86_399_999,
      86_400_000,
      Date.UTC(2024, 1, 28, 23, 59, 59, 999),
      Date.UTC(2024, 1, 29, 0, 0, 0, 7),
      Date.UTC(2026, 11, 31, 23, 59, 59, 990),
      Date.UTC(2027, 0, 1, 0, 0, 0, 10),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ];
    // Days and seconds taking turns (a message's accept time beside a receipt's a day later).
    for (let i = 0; i < 20_000; i++) times.push(1_700_000_000_000 + (i % 2) * 86_400_000 + i * 7_919);
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('leaves times outside four-digit years and fractions of a millisecond to Date', () => {
    for (const ms of [-1, -86_400_001, Date.UTC(10000, 0, 1), 1_700_000_000_000.5]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});
