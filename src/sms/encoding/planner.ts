/**
 * The segment planner: a text is planned once into the parts that go on the
 * wire. GSM 03.38 when every character fits (data_coding 0 — SMPP 3.4
 * §5.2.19 "SMSC default alphabet", not 1/IA5 as the `smpp` npm package
 * labels it), UCS-2 otherwise (data_coding 8).
 *
 * Sizes (3GPP TS 23.040 §9.2.3.24): one part holds 160 septets / 70 UTF-16
 * units; with an 8-bit concatenation UDH (6 octets) 153 / 67; with a 16-bit
 * one (7 octets) 152 / 66. SAR TLVs leave short_message whole, but the SMSC
 * turns them into a UDH towards the handset, so they get the 8-bit sizes.
 * message_payload carries the whole text in one submit_sm.
 * A part never ends between an escape and its extension character, nor
 * between the two halves of a surrogate pair.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import { encodeGsm7, gsm7CharSeptets, gsm7Septets, isGsm7Encodable } from './gsm7.js';
import { encodeUcs2 } from './ucs2.js';

export type SmsEncoding = 'gsm7' | 'ucs2';
export type ConcatMode = 'udh8' | 'udh16' | 'sar' | 'payload';

export interface PlannedPart {
  /** 1-based. */
  seq: number;
  text: string;
  /** encodeGsm7 (unpacked septets) or encodeUcs2 of `text`. */
  payload: Buffer;
}

export interface SegmentPlan {
  encoding: SmsEncoding;
  dataCoding: 0 | 8;
  /** Septets (GSM) or UTF-16 units (UCS-2) of the whole text. */
  units: number;
  parts: PlannedPart[];
}

const SINGLE = { gsm7: 160, ucs2: 70 } as const;
const MULTI: Record<Exclude<ConcatMode, 'payload'>, { gsm7: number; ucs2: number }> = {
  udh8: { gsm7: 153, ucs2: 67 },
  sar: { gsm7: 153, ucs2: 67 },
  udh16: { gsm7: 152, ucs2: 66 },
};

export function chooseEncoding(text: string): SmsEncoding {
  return isGsm7Encodable(text) ? 'gsm7' : 'ucs2';
}

function unitsOf(text: string, encoding: SmsEncoding): number {
  return encoding === 'gsm7' ? gsm7Septets(text) : text.length;
}

/** Split into chunks of at most `capacity` units, never inside an escape or a surrogate pair. */
function split(text: string, encoding: SmsEncoding, capacity: number): string[] {
  const chunks: string[] = [];
  let current = '';
  let used = 0;
  for (const ch of text) {
    // for…of yields whole code points: a surrogate pair arrives as one 2-unit string.
    const size = encoding === 'gsm7' ? gsm7CharSeptets(ch) : ch.length;
    if (used + size > capacity) {
      chunks.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += size;
  }
  chunks.push(current);
  return chunks;
}

export function planSegments(text: string, options: { concat: ConcatMode; forceEncoding?: SmsEncoding }): SegmentPlan {
  const encoding = options.forceEncoding ?? chooseEncoding(text);
  if (encoding === 'gsm7' && options.forceEncoding && !isGsm7Encodable(text)) {
    encodeGsm7(text); // throws the typed error naming the first bad character
    throw new AppError(ErrorCode.ENCODING_INVALID, 'text is not GSM 03.38');
  }
  const units = unitsOf(text, encoding);
  const encode = encoding === 'gsm7' ? encodeGsm7 : encodeUcs2;
  const chunks = options.concat === 'payload' || units <= SINGLE[encoding] ? [text] : split(text, encoding, MULTI[options.concat][encoding]);
  return {
    encoding,
    dataCoding: encoding === 'gsm7' ? 0 : 8,
    units,
    parts: chunks.map((chunk, i) => ({ seq: i + 1, text: chunk, payload: encode(chunk) })),
  };
}

/** Parts and encoding as an 8-bit-UDH connector would send the text (API answers, limits). */
export function estimateSegments(text: string): { encoding: SmsEncoding; parts: number; units: number } {
  const encoding = chooseEncoding(text);
  const units = unitsOf(text, encoding);
  const parts = units <= SINGLE[encoding] ? 1 : split(text, encoding, MULTI.udh8[encoding]).length;
  return { encoding, parts, units };
}
