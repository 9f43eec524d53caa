/** User Data Header: the concatenation elements of 3GPP TS 23.040 §9.2.3.24.1 (8-bit) and §9.2.3.24.8 (16-bit). */
import { AppError, ErrorCode } from '../../shared/errors.js';

export const IEI_CONCAT_8 = 0x00;
export const IEI_CONCAT_16 = 0x08;

export interface ConcatInfo {
  reference: number;
  total: number;
  seq: number;
  sixteenBit: boolean;
}

export interface ParsedUdh {
  /** Octets of the header including the UDHL octet itself. */
  length: number;
  concat: ConcatInfo | null;
  elements: Array<{ iei: number; data: Buffer }>;
}

/** A whole UDH (UDHL first) with one concatenation element. */
export function buildConcatUdh(reference: number, total: number, seq: number, sixteenBit: boolean): Buffer {
  return sixteenBit
    ? Buffer.from([0x06, IEI_CONCAT_16, 0x04, (reference >> 8) & 0xff, reference & 0xff, total, seq])
    : Buffer.from([0x05, IEI_CONCAT_8, 0x03, reference & 0xff, total, seq]);
}

export function parseUdh(buf: Buffer): ParsedUdh {
  if (buf.length === 0) throw new AppError(ErrorCode.ENCODING_INVALID, 'UDH expected but the user data is empty');
  const udhl = buf[0]!;
  if (udhl + 1 > buf.length) {
    throw new AppError(ErrorCode.ENCODING_INVALID, `UDH length ${udhl} runs past the ${buf.length}-octet user data`, { details: { udhl } });
  }
  const elements: ParsedUdh['elements'] = [];
  let concat: ConcatInfo | null = null;
  let i = 1;
  while (i < udhl + 1) {
    if (i + 2 > udhl + 1) throw new AppError(ErrorCode.ENCODING_INVALID, `truncated information element at UDH octet ${i}`);
    const iei = buf[i]!;
    const len = buf[i + 1]!;
    if (i + 2 + len > udhl + 1) {
      throw new AppError(ErrorCode.ENCODING_INVALID, `information element 0x${iei.toString(16)} of ${len} octets overruns the UDH`, { details: { iei } });
    }
    const data = buf.subarray(i + 2, i + 2 + len);
    elements.push({ iei, data });
    if (iei === IEI_CONCAT_8 && len === 3) concat = validConcat(data[0]!, data[1]!, data[2]!, false);
    if (iei === IEI_CONCAT_16 && len === 4) concat = validConcat((data[0]! << 8) | data[1]!, data[2]!, data[3]!, true);
    i += 2 + len;
  }
  return { length: udhl + 1, concat, elements };
}

/** §9.2.3.24.1: a total or sequence of 0, or a sequence past the total, means "ignore the element". */
function validConcat(reference: number, total: number, seq: number, sixteenBit: boolean): ConcatInfo | null {
  if (total === 0 || seq === 0 || seq > total) return null;
  return { reference, total, seq, sixteenBit };
}
