import { describe, expect, it } from 'vitest';
import { absoluteSmppTime, parseSmppTime, receiptDate } from '../../../../src/sms/smpp-server/smpp-time.js';

const NOW = Date.UTC(2026, 11, 2, 10, 0, 0);

describe('SMPP time (SMPP 3.4 §7.1.1)', () => {
  it('reads an absolute time with its quarter-hour offset from UTC', () => {
    expect(parseSmppTime('261202120000004+', NOW)).toBe(Date.UTC(2026, 11, 2, 11, 0, 0)); // 12:00 at UTC+1
    expect(parseSmppTime('261202120000008-', NOW)).toBe(Date.UTC(2026, 11, 2, 14, 0, 0)); // 12:00 at UTC-2
    expect(parseSmppTime('261202120000500+', NOW)).toBe(Date.UTC(2026, 11, 2, 12, 0, 0, 500));
  });

  it('reads a relative period from now', () => {
    expect(parseSmppTime('000001000000000R', NOW)).toBe(NOW + 86_400_000);
    expect(parseSmppTime('000000013000000R', NOW)).toBe(NOW + 90 * 60_000);
  });

  it('is null when empty and undefined when not SMPP time', () => {
    expect(parseSmppTime('', NOW)).toBeNull();
    for (const bad of ['tomorrow', '26120212000000+', '261302120000000+', '261202120000049+', '261202120000000X'])
      expect(parseSmppTime(bad, NOW)).toBeUndefined();
  });

  it('writes receipt dates and final dates in UTC', () => {
    expect(receiptDate(Date.UTC(2026, 0, 5, 7, 9, 59))).toBe('2601050709');
    expect(absoluteSmppTime(Date.UTC(2026, 0, 5, 7, 9, 59))).toBe('260105070959000+');
  });
});
