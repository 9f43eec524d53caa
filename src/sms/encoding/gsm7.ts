/**
 * GSM 03.38 default alphabet and its extension table (3GPP TS 23.038 §6.2.1,
 * §6.2.1.1), unpacked (one septet per octet, as SMPP short_message carries it
 * with data_coding 0) and packed (7-bit, as TP-UD in a PDU, §6.1.2.1.1).
 */
import { AppError, ErrorCode } from '../../shared/errors.js';

/** Default alphabet, index = septet value. 0x1B is the escape to the extension table. */
const BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' + '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension table: septet after 0x1B → character (§6.2.1.1). */
const EXTENSION: ReadonlyArray<[number, string]> = [
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
];

export const GSM_ESCAPE = 0x1b;

const BASIC_CODE = new Map<string, number>();
for (let i = 0; i < BASIC.length; i++) if (i !== GSM_ESCAPE) BASIC_CODE.set(BASIC[i]!, i);
const EXTENSION_CODE = new Map<string, number>(EXTENSION.map(([code, ch]) => [ch, code]));
const EXTENSION_CHAR = new Map<number, string>(EXTENSION);

/** Septets one character needs: 1 (default table), 2 (extension table) or 0 (not encodable). */
export function gsm7CharSeptets(ch: string): 0 | 1 | 2 {
  if (BASIC_CODE.has(ch)) return 1;
  if (EXTENSION_CODE.has(ch)) return 2;
  return 0;
}

export function isGsm7Encodable(text: string): boolean {
  for (const ch of text) if (gsm7CharSeptets(ch) === 0) return false;
  return true;
}

export function gsm7Septets(text: string): number {
  let n = 0;
  for (const ch of text) n += gsm7CharSeptets(ch) || 1;
  return n;
}

/** Unpacked septets; extension characters as 0x1B + code. */
export function encodeGsm7(text: string): Buffer {
  const out: number[] = [];
  let index = 0;
  for (const ch of text) {
    const basic = BASIC_CODE.get(ch);
    if (basic !== undefined) out.push(basic);
    else {
      const ext = EXTENSION_CODE.get(ch);
      if (ext === undefined) {
        throw new AppError(
          ErrorCode.ENCODING_INVALID,
          `character '${ch}' (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at index ${index} is not in the GSM 03.38 alphabet`,
          {
            details: { index, char: ch },
          },
        );
      }
      out.push(GSM_ESCAPE, ext);
    }
    index += ch.length;
  }
  return Buffer.from(out);
}

/**
 * Unpacked septets to text. An escape followed by a code the extension table
 * does not define shows the default-table character (§6.2.1.1: "…shall display
 * the character from the default table"); a trailing lone escape is dropped.
 */
export function decodeGsm7(septets: Buffer): string {
  let out = '';
  for (let i = 0; i < septets.length; i++) {
    const code = septets[i]! & 0x7f;
    if (code === GSM_ESCAPE) {
      if (i + 1 >= septets.length) break;
      const next = septets[++i]! & 0x7f;
      out += EXTENSION_CHAR.get(next) ?? (next === GSM_ESCAPE ? ' ' : BASIC[next]!);
      continue;
    }
    out += BASIC[code]!;
  }
  return out;
}

/**
 * Pack septets into octets (§6.1.2.1.1), after `fillBits` zero bits that align
 * the text to a septet boundary following a UDH (3GPP TS 23.040 §9.2.3.24).
 */
export function packGsm7(septets: Buffer, fillBits = 0): Buffer {
  const totalBits = fillBits + septets.length * 7;
  const out = Buffer.alloc(Math.ceil(totalBits / 8));
  let bit = fillBits;
  for (const septet of septets) {
    const value = septet & 0x7f;
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte]! |= (value << shift) & 0xff;
    if (shift > 1) out[byte + 1]! |= value >> (8 - shift);
    bit += 7;
  }
  return out;
}

/** Inverse of packGsm7: `septetCount` septets after `fillBits`. */
export function unpackGsm7(packed: Buffer, septetCount: number, fillBits = 0): Buffer {
  const out = Buffer.alloc(septetCount);
  let bit = fillBits;
  for (let i = 0; i < septetCount; i++) {
    const byte = bit >> 3;
    const shift = bit & 7;
    let value = (packed[byte] ?? 0) >> shift;
    if (shift > 1) value |= (packed[byte + 1] ?? 0) << (8 - shift);
    out[i] = value & 0x7f;
    bit += 7;
  }
  return out;
}
