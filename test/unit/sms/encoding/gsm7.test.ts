import { describe, expect, it } from 'vitest';
import { decodeGsm7, encodeGsm7, gsm7Septets, isGsm7Encodable, packGsm7, unpackGsm7 } from '../../../../src/sms/encoding/index.js';
import { AppError } from '../../../../src/shared/errors.js';

const BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const EXTENSION = '\f^{}\\[~]|€';

describe('GSM 03.38', () => {
  it('round-trips the whole default alphabet and the extension table', () => {
    expect(decodeGsm7(encodeGsm7(BASIC + EXTENSION))).toBe(BASIC + EXTENSION);
    expect(encodeGsm7(BASIC)).toHaveLength(127);
  });

  it("encodes '@' as 0x00 and '€' as the escape pair 1B 65", () => {
    expect([...encodeGsm7('@')]).toEqual([0x00]);
    expect([...encodeGsm7('€')]).toEqual([0x1b, 0x65]);
    expect(gsm7Septets('a€{')).toBe(5);
  });

  it('refuses characters outside the alphabet, naming the first one', () => {
    expect(isGsm7Encodable('Привет')).toBe(false);
    expect(() => encodeGsm7('ok ő')).toThrowError(AppError);
    expect(() => encodeGsm7('ok ő')).toThrowError(/'ő' \(U\+0151\) at index 3/);
  });

  it('shows the default-table character for an undefined escape code, and drops a trailing escape', () => {
    expect(decodeGsm7(Buffer.from([0x1b, 0x41]))).toBe('A');
    expect(decodeGsm7(Buffer.from([0x41, 0x1b]))).toBe('A');
  });

  it('packs the 3GPP example "hellohello" to E8329BFD4697D9EC37', () => {
    expect(packGsm7(encodeGsm7('hellohello')).toString('hex').toUpperCase()).toBe('E8329BFD4697D9EC37');
  });

  it('round-trips packing for every length 1..20 and fill bits 0..6', () => {
    for (let fill = 0; fill <= 6; fill++) {
      for (let n = 1; n <= 20; n++) {
        const septets = encodeGsm7('The quick brown fox {€}'.slice(0, n));
        const packed = packGsm7(septets, fill);
        expect(packed.length).toBe(Math.ceil((fill + septets.length * 7) / 8));
        expect([...unpackGsm7(packed, septets.length, fill)]).toEqual([...septets]);
      }
    }
  });
});
