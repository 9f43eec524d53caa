import { describe, expect, it } from 'vitest';
import { buildConcatUdh, parseUdh } from '../../../../src/sms/encoding/index.js';
import { AppError } from '../../../../src/shared/errors.js';

describe('UDH', () => {
  it('builds and parses the 8-bit concatenation element 05 00 03 rr tt ss', () => {
    const udh = buildConcatUdh(0x2a, 3, 2, false);
    expect(udh.toString('hex')).toBe('0500032a0302');
    expect(parseUdh(Buffer.concat([udh, Buffer.from('text')]))).toMatchObject({ length: 6, concat: { reference: 42, total: 3, seq: 2, sixteenBit: false } });
  });

  it('builds and parses the 16-bit concatenation element 06 08 04 rr rr tt ss', () => {
    const udh = buildConcatUdh(0xbeef, 4, 4, true);
    expect(udh.toString('hex')).toBe('060804beef0404');
    expect(parseUdh(udh).concat).toEqual({ reference: 0xbeef, total: 4, seq: 4, sixteenBit: true });
  });

  it('keeps other elements and ignores a concat element with seq 0 or seq > total', () => {
    const parsed = parseUdh(Buffer.from('0b050415820000000301030048', 'hex'));
    expect(parsed.elements.map((e) => e.iei)).toEqual([0x05, 0x00]);
    expect(parsed.concat).toBeNull();
  });

  it('throws a typed error on a header that overruns the data', () => {
    expect(() => parseUdh(Buffer.from('0500030102', 'hex'))).toThrowError(AppError);
    expect(() => parseUdh(Buffer.from('040003010203', 'hex'))).toThrowError(/overruns/);
    expect(() => parseUdh(Buffer.alloc(0))).toThrowError(/empty/);
  });
});
