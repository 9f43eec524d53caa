/**
 * Inbound short_message octets to text by data_coding (SMPP 3.4 §5.2.19,
 * 3GPP TS 23.038 §4 coding groups). GSM text arrives unpacked over SMPP.
 */
import { decodeGsm7 } from './gsm7.js';
import { decodeUcs2 } from './ucs2.js';

type Alphabet = 'gsm7' | 'ascii' | 'latin1' | 'ucs2' | 'binary';

export function alphabetOf(dataCoding: number): Alphabet {
  const dcs = dataCoding & 0xff;
  switch (dcs) {
    case 0x00:
      return 'gsm7';
    case 0x01:
      return 'ascii'; // IA5
    case 0x03:
      return 'latin1';
    case 0x08:
      return 'ucs2';
    case 0x02:
    case 0x04:
      return 'binary';
  }
  const group = dcs >> 4;
  if (group <= 0x3) {
    // General data coding (00xx): bits 3..2 choose the alphabet; bit 5 = compressed (not supported, read as is).
    const alphabet = (dcs >> 2) & 0x3;
    return alphabet === 0 ? 'gsm7' : alphabet === 1 ? 'binary' : alphabet === 2 ? 'ucs2' : 'latin1';
  }
  if (group === 0xc || group === 0xd) return 'gsm7'; // message waiting, discard/store, GSM
  if (group === 0xe) return 'ucs2'; // message waiting, store, UCS-2
  if (group === 0xf) return dcs & 0x04 ? 'binary' : 'gsm7'; // data coding / message class
  return 'latin1';
}

/** 8-bit binary data is shown as Latin-1 so every octet survives as one character. */
export function decodeShortMessage(payload: Buffer, dataCoding: number): string {
  switch (alphabetOf(dataCoding)) {
    case 'gsm7':
      return decodeGsm7(payload);
    case 'ascii':
      return payload.toString('ascii');
    case 'ucs2':
      return decodeUcs2(payload);
    case 'latin1':
    case 'binary':
      return payload.toString('latin1');
  }
}
