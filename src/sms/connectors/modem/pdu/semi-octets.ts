/**
 * Addresses and time stamps in SMS PDUs (3GPP TS 23.040 §9.1.2.3 semi-octets,
 * §9.1.2.5 address fields, §9.2.3.11 TP-SCTS).
 */
import { AppError, ErrorCode } from '../../../../shared/errors.js';
import { decodeGsm7, encodeGsm7, packGsm7, unpackGsm7 } from '../../../encoding/index.js';

export const TOA = { international: 0x91, unknown: 0x81, alphanumeric: 0xd0 } as const;

/** Digits as swapped semi-octets, an odd count padded with F. */
export function encodeSemiOctets(digits: string): Buffer {
  const padded = digits.length % 2 ? `${digits}F` : digits;
  const out = Buffer.alloc(padded.length / 2);
  for (let i = 0; i < padded.length; i += 2) out[i / 2] = parseInt(padded[i + 1]! + padded[i]!, 16);
  return out;
}

export function decodeSemiOctets(octets: Buffer, digits: number): string {
  let out = '';
  for (const octet of octets) out += (octet & 0x0f).toString(16) + (octet >> 4).toString(16);
  // Semi-octets above 9 in numbers: * # a b c (§9.1.2.3); F is padding.
  return out.slice(0, digits).toUpperCase().replace(/A/g, '*').replace(/B/g, '#');
}

export interface PduAddress {
  /** '+' and digits for international numbers, the text for alphanumeric ones. */
  number: string;
  toa: number;
}

/** TP-DA / TP-OA / TP-RA: length (digits, or semi-octets for alphanumeric), type of address, value. */
export function encodeAddress(value: string): Buffer {
  const compact = value.replace(/[\s\-().]/g, '');
  if (/^\+\d+$/.test(compact) || /^\d+$/.test(compact)) {
    const international = compact.startsWith('+');
    const digits = international ? compact.slice(1) : compact;
    return Buffer.concat([Buffer.from([digits.length, international ? TOA.international : TOA.unknown]), encodeSemiOctets(digits)]);
  }
  const septets = encodeGsm7(value);
  const packed = packGsm7(septets);
  // Alphanumeric (§9.1.2.5): the length counts useful semi-octets of the packed GSM text.
  return Buffer.concat([Buffer.from([Math.ceil((septets.length * 7) / 4), TOA.alphanumeric]), packed]);
}

/** Reads an address at `offset`; returns it and the octets it took. */
export function decodeAddress(buf: Buffer, offset: number): { address: PduAddress; length: number } {
  const length = need(buf, offset, 2, 'address');
  const toa = buf[offset + 1]!;
  const octets = Math.ceil(length / 2);
  need(buf, offset + 2, octets, 'address digits');
  const value = buf.subarray(offset + 2, offset + 2 + octets);
  let number: string;
  if ((toa & 0x70) === 0x50) {
    number = decodeGsm7(unpackGsm7(value, Math.floor((length * 4) / 7)));
  } else {
    const digits = decodeSemiOctets(value, length);
    number = (toa & 0x70) === 0x10 ? `+${digits}` : digits;
  }
  return { address: { number, toa }, length: 2 + octets };
}

/** TP-SCTS / TP-DT: 7 swapped-BCD octets, the last the zone in quarters of an hour (bit 3 = negative). */
export function decodeTimestamp(buf: Buffer, offset: number): { utcMs: number; zoneMinutes: number } {
  need(buf, offset, 7, 'time stamp');
  const field = (i: number) => {
    const octet = buf[offset + i]!;
    return (octet & 0x0f) * 10 + (octet >> 4);
  };
  const zoneOctet = buf[offset + 6]!;
  const quarters = (zoneOctet & 0x07) * 10 + (zoneOctet >> 4);
  const zoneMinutes = (zoneOctet & 0x08 ? -quarters : quarters) * 15;
  // Two-digit year: the century that puts it within 50 years of now (a "99" from an old SIM is 1999, not 2099).
  const year = 2000 + field(0) > new Date().getUTCFullYear() + 50 ? 1900 + field(0) : 2000 + field(0);
  const local = Date.UTC(year, field(1) - 1, field(2), field(3), field(4), field(5));
  return { utcMs: local - zoneMinutes * 60_000, zoneMinutes };
}

/** Throws a typed error when fewer than `count` octets remain; returns the octet at `offset` when count ≥ 1. */
export function need(buf: Buffer, offset: number, count: number, what: string): number {
  if (offset + count > buf.length) {
    throw new AppError(ErrorCode.PDU_INVALID, `PDU too short: ${what} needs ${count} octet(s) at ${offset}, ${Math.max(0, buf.length - offset)} left`, {
      details: { offset, what },
    });
  }
  return buf[offset]!;
}

/** TP-SCTS / TP-DT for `utcMs` as seen in a zone `zoneMinutes` east of UTC (a multiple of 15). */
export function encodeTimestamp(utcMs: number, zoneMinutes = 0): Buffer {
  const local = new Date(utcMs + zoneMinutes * 60_000);
  const swap = (n: number) => ((n % 10) << 4) | Math.floor(n / 10);
  const quarters = Math.round(Math.abs(zoneMinutes) / 15);
  const zone = ((quarters % 10) << 4) | Math.floor(quarters / 10) | (zoneMinutes < 0 ? 0x08 : 0);
  return Buffer.from([
    swap(local.getUTCFullYear() % 100),
    swap(local.getUTCMonth() + 1),
    swap(local.getUTCDate()),
    swap(local.getUTCHours()),
    swap(local.getUTCMinutes()),
    swap(local.getUTCSeconds()),
    zone,
  ]);
}

/** The SMSC address field as 27.005 PDU mode prefixes it ("00": the SIM's default). */
export function encodeSmscField(smsc: string | undefined): Buffer {
  if (!smsc) return Buffer.from([0x00]);
  const international = smsc.startsWith('+');
  const value = encodeSemiOctets(smsc.replace(/\D/g, ''));
  return Buffer.concat([Buffer.from([value.length + 1, international ? TOA.international : TOA.unknown]), value]);
}
