/**
 * TP-UD with its TP-UDL (3GPP TS 23.040 §9.2.3.16, §9.2.3.24): GSM 7-bit
 * text is packed after the UDH with fill bits up to a septet boundary, and
 * TP-UDL counts septets; UCS-2 and 8-bit data count octets.
 */
import { parseUdh, packGsm7, unpackGsm7, type ParsedUdh } from '../../../encoding/index.js';
import { need } from './semi-octets.js';

/** 7-bit alphabet by TP-DCS (3GPP TS 23.038 §4): general group with alphabet 00, or group F with bit 2 clear. */
export function isSevenBit(dcs: number): boolean {
  const group = dcs >> 4;
  if (group <= 0x3) return ((dcs >> 2) & 0x3) === 0;
  if (group === 0xc || group === 0xd) return true;
  if (group === 0xf) return (dcs & 0x04) === 0;
  return false;
}

function fillBitsAfter(udhOctets: number): number {
  return (7 - ((udhOctets * 8) % 7)) % 7;
}

/** TP-UDL followed by TP-UD. `payload` is unpacked septets (7-bit) or octets. */
export function encodeUserData(dcs: number, payload: Buffer, udh: Buffer | null): Buffer {
  const udhOctets = udh?.length ?? 0;
  if (isSevenBit(dcs)) {
    const fill = fillBitsAfter(udhOctets);
    const udl = (udhOctets * 8 + fill) / 7 + payload.length;
    return Buffer.concat([Buffer.from([udl]), udh ?? Buffer.alloc(0), packGsm7(payload, fill)]);
  }
  return Buffer.concat([Buffer.from([udhOctets + payload.length]), udh ?? Buffer.alloc(0), payload]);
}

export interface DecodedUserData {
  udh: ParsedUdh | null;
  /** Unpacked septets (7-bit) or octets, without the UDH. */
  payload: Buffer;
  /** Octets taken from the PDU (TP-UDL octet included). */
  length: number;
}

export function decodeUserData(buf: Buffer, offset: number, dcs: number, udhi: boolean): DecodedUserData {
  const udl = need(buf, offset, 1, 'TP-UDL');
  const sevenBit = isSevenBit(dcs);
  const octets = sevenBit ? Math.ceil((udl * 7) / 8) : udl;
  need(buf, offset + 1, octets, 'TP-UD');
  const ud = buf.subarray(offset + 1, offset + 1 + octets);
  // TP-UDHI with no user data at all (seen in stored messages, Gammu's at-sms/20): nothing to parse.
  const udh = udhi && ud.length > 0 ? parseUdh(ud) : null;
  const udhOctets = udh?.length ?? 0;
  if (sevenBit) {
    const fill = fillBitsAfter(udhOctets);
    const headerSeptets = (udhOctets * 8 + fill) / 7;
    return { udh, payload: unpackGsm7(ud.subarray(udhOctets), Math.max(0, udl - headerSeptets), fill), length: 1 + octets };
  }
  return { udh, payload: Buffer.from(ud.subarray(udhOctets)), length: 1 + octets };
}
