/**
 * Decoding what a modem hands us (+CMGR, +CMGL, +CMT, +CDS): SMS-DELIVER
 * (3GPP TS 23.040 §9.2.2.1) and SMS-STATUS-REPORT (§9.2.2.3), SMSC address
 * first as 27.005 PDU mode gives them.
 */
import { AppError, ErrorCode } from '../../../../shared/errors.js';
import { decodeShortMessage, type ParsedUdh } from '../../../encoding/index.js';
import { decodeAddress, decodeSemiOctets, decodeTimestamp, need, type PduAddress } from './semi-octets.js';
import { decodeSubmitTpdu, type DecodedSubmit } from './submit.js';
import { decodeUserData, isSevenBit } from './user-data.js';

export interface DecodedDeliver {
  type: 'deliver';
  smsc: string | null;
  sender: PduAddress;
  protocolId: number;
  dataCoding: number;
  sentAt: { utcMs: number; zoneMinutes: number };
  udh: ParsedUdh | null;
  /** Unpacked septets (7-bit) or octets, without the UDH: join parts before decoding. */
  payload: Buffer;
  text: string;
}

/** TP-ST classes (§9.2.3.15), with validity-period expiry told apart from other permanent errors. */
export type ReportOutcome = 'delivered' | 'trying' | 'failed' | 'expired';

export interface DecodedStatusReport {
  type: 'status-report';
  smsc: string | null;
  messageReference: number;
  recipient: PduAddress;
  sentAt: { utcMs: number; zoneMinutes: number };
  dischargedAt: { utcMs: number; zoneMinutes: number };
  status: number;
  outcome: ReportOutcome;
}

export type DecodedPdu = DecodedDeliver | DecodedStatusReport | DecodedSubmit;

/**
 * 3GPP TS 23.040 §9.2.3.15: 0x00-0x1F "short message transaction completed" (0x00-0x02 defined, the rest
 * reserved or SC-specific, all completed, none a failure); 0x20-0x3F temporary error, the SC is still
 * trying; 0x40-0x5F permanent error (0x46: the validity period expired); 0x60-0x7F temporary error with
 * no further attempts; above 0x7F reserved, read as permanent.
 */
export function reportOutcome(status: number): ReportOutcome {
  if (status <= 0x1f) return 'delivered';
  if (status <= 0x3f) return 'trying';
  if (status === 0x46) return 'expired';
  return 'failed';
}

/** Decode a PDU hex string as a modem gives it (SMSC address included unless `hasSmsc` is false). */
export function decodePdu(hex: string, options: { hasSmsc?: boolean } = {}): DecodedPdu {
  const clean = hex.trim();
  if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new AppError(ErrorCode.PDU_INVALID, 'PDU is not an even-length hex string');
  const buf = Buffer.from(clean, 'hex');
  let offset = 0;
  let smsc: string | null = null;
  if (options.hasSmsc ?? true) {
    const length = need(buf, 0, 1, 'SMSC length');
    need(buf, 1, length, 'SMSC address');
    if (length > 1) {
      const toa = buf[1]!;
      const digits = decodeSemiOctets(buf.subarray(2, 1 + length), (length - 1) * 2).replace(/F/g, '');
      smsc = (toa & 0x70) === 0x10 ? `+${digits}` : digits;
    }
    offset = 1 + length;
  }
  const first = need(buf, offset, 1, 'first octet');
  switch (first & 0x03) {
    case 0x00:
      return decodeDeliver(buf, offset, first, smsc);
    case 0x01:
      return decodeSubmitTpdu(buf, offset);
    case 0x02:
      return decodeStatusReport(buf, offset, smsc);
    default:
      throw new AppError(ErrorCode.PDU_INVALID, 'reserved TP-MTI 11');
  }
}

function decodeDeliver(buf: Buffer, offset: number, first: number, smsc: string | null): DecodedDeliver {
  const { address, length } = decodeAddress(buf, offset + 1);
  let at = offset + 1 + length;
  need(buf, at, 2, 'TP-PID/TP-DCS');
  const protocolId = buf[at]!;
  const dataCoding = buf[at + 1]!;
  at += 2;
  const sentAt = decodeTimestamp(buf, at);
  at += 7;
  const ud = decodeUserData(buf, at, dataCoding, (first & 0x40) !== 0);
  const smppCoding = isSevenBit(dataCoding) ? 0 : dataCoding;
  return {
    type: 'deliver',
    smsc,
    sender: address,
    protocolId,
    dataCoding,
    sentAt,
    udh: ud.udh,
    payload: ud.payload,
    text: decodeShortMessage(ud.payload, smppCoding),
  };
}

function decodeStatusReport(buf: Buffer, offset: number, smsc: string | null): DecodedStatusReport {
  const messageReference = need(buf, offset + 1, 1, 'TP-MR');
  const { address, length } = decodeAddress(buf, offset + 2);
  let at = offset + 2 + length;
  const sentAt = decodeTimestamp(buf, at);
  at += 7;
  const dischargedAt = decodeTimestamp(buf, at);
  at += 7;
  const status = need(buf, at, 1, 'TP-ST');
  return { type: 'status-report', smsc, messageReference, recipient: address, sentAt, dischargedAt, status, outcome: reportOutcome(status) };
}
