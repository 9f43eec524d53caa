import { describe, expect, it } from 'vitest';
import { formUrlEncoded } from '../../../src/shared/form-urlencoded.js';

describe('formUrlEncoded', () => {
  it('writes exactly what URLSearchParams writes, for the characters a callback can carry', () => {
    const values = [
      '',
      'plain',
      'a b',
      "!'()~*-._",
      'ü€😀',
      '+/?&=#%',
      '2026-12-03T01:30:00.000Z',
      'Árvíztűrő tükörfúrógép',
      'line\nbreak\ttab',
      'http://example.com/cb?x=1&y=2',
      '\u0000\u001f\u007f',
      'lone \ud800 surrogate',
      '+36301234567',
      Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)).join(''),
      'ascii first, then ü',
    ];
    const pairs = values.map((v, i) => [`k${i} ${v}`, v] as const);
    expect(formUrlEncoded(pairs)).toBe(new URLSearchParams(pairs.map(([k, v]) => [k, v])).toString());
  });

  it('keeps the order of the fields and joins them with &', () => {
    expect(
      formUrlEncoded([
        ['NotificationName', 'SMSDeliveryReport'],
        ['SmsId', 'abc'],
      ]),
    ).toBe('NotificationName=SMSDeliveryReport&SmsId=abc');
    expect(formUrlEncoded([])).toBe('');
  });
});
