/**
 * SMS-SUBMIT (3GPP TS 23.040 §9.2.2.2), as AT+CMGS sends it in PDU mode
 * (3GPP TS 27.005 §3.5.1): our own encoder, because the npm PDU packages get
 * the fill bits after a UDH and the extension table wrong (see the GSM note).
 */
import { AppError, ErrorCode } from '../../../../shared/errors.js';
import { buildConcatUdh } from '../../../encoding/index.js';
import { decodeAddress, encodeAddress, encodeSmscField, need, type PduAddress } from './semi-octets.js';
import { decodeUserData, encodeUserData } from './user-data.js';

export interface SubmitPduInput {
  recipient: string;
  /** TP-DCS: 0x00 GSM 7-bit, 0x08 UCS-2. */
  dataCoding: number;
  /** Unpacked septets (GSM) or UCS-2 octets, as the segment planner made them. */
  payload: Buffer;
  concat?: { reference: number; total: number; seq: number; sixteenBit: boolean } | null;
  /** TP-MR, 0..255. */
  messageReference: number;
  /** TP-SRR: ask for an SMS-STATUS-REPORT. */
  statusReport: boolean;
  /** Relative TP-VP in minutes (null: no validity period). */
  validityMinutes?: number | null;
  /** SMSC number; empty: the one stored on the SIM ("00"). */
  smsc?: string;
}

export interface EncodedSubmit {
  /** Hex for AT+CMGS, SMSC address first. */
  hex: string;
  /** The AT+CMGS length: TPDU octets, the SMSC address not counted (27.005 §3.5.1). */
  tpduLength: number;
}

/** Relative validity period octet (§9.2.3.12.1), rounding up to the next representable value. */
export function relativeValidity(minutes: number): number {
  if (minutes <= 0) return 0;
  if (minutes <= 720) return Math.max(0, Math.ceil(minutes / 5) - 1);
  if (minutes <= 1440) return 143 + Math.ceil((minutes - 720) / 30);
  if (minutes <= 43_200) return 166 + Math.ceil(minutes / 1440);
  return Math.min(255, 192 + Math.ceil(minutes / 10_080));
}

export function validityMinutes(octet: number): number {
  if (octet <= 143) return (octet + 1) * 5;
  if (octet <= 167) return 720 + (octet - 143) * 30;
  if (octet <= 196) return (octet - 166) * 1440;
  return (octet - 192) * 10_080;
}

export function encodeSubmitPdu(input: SubmitPduInput): EncodedSubmit {
  if (input.messageReference < 0 || input.messageReference > 255) {
    throw new AppError(ErrorCode.PDU_INVALID, `TP-MR ${input.messageReference} is outside 0..255`);
  }
  const udh = input.concat ? buildConcatUdh(input.concat.reference, input.concat.total, input.concat.seq, input.concat.sixteenBit) : null;
  const hasVp = input.validityMinutes !== undefined && input.validityMinutes !== null;
  // TP-MTI 01 (SUBMIT); TP-VPF 10 (relative) when a validity is given; TP-SRR; TP-UDHI.
  const first = 0x01 | (hasVp ? 0x10 : 0) | (input.statusReport ? 0x20 : 0) | (udh ? 0x40 : 0);
  const tpdu = Buffer.concat([
    Buffer.from([first, input.messageReference]),
    encodeAddress(input.recipient),
    Buffer.from([0x00, input.dataCoding]), // TP-PID 0, TP-DCS
    hasVp ? Buffer.from([relativeValidity(input.validityMinutes!)]) : Buffer.alloc(0),
    encodeUserData(input.dataCoding, input.payload, udh),
  ]);
  if (tpdu.length > 176) throw new AppError(ErrorCode.PDU_INVALID, `SMS-SUBMIT of ${tpdu.length} octets is longer than 176`);
  return {
    hex: Buffer.concat([encodeSmscField(input.smsc), tpdu])
      .toString('hex')
      .toUpperCase(),
    tpduLength: tpdu.length,
  };
}

export interface DecodedSubmit {
  type: 'submit';
  messageReference: number;
  recipient: PduAddress;
  statusReport: boolean;
  dataCoding: number;
  validityMinutes: number | null;
  udh: ReturnType<typeof decodeUserData>['udh'];
  payload: Buffer;
}

/** Decodes the TPDU of an SMS-SUBMIT starting at `offset` (the modem simulator reads what we send). */
export function decodeSubmitTpdu(buf: Buffer, offset: number): DecodedSubmit {
  const first = need(buf, offset, 2, 'SMS-SUBMIT header');
  const messageReference = buf[offset + 1]!;
  const { address, length } = decodeAddress(buf, offset + 2);
  let at = offset + 2 + length;
  need(buf, at, 2, 'TP-PID/TP-DCS');
  const dataCoding = buf[at + 1]!;
  at += 2;
  const vpf = (first >> 3) & 0x03;
  let validity: number | null = null;
  if (vpf === 2) validity = validityMinutes(need(buf, at, 1, 'TP-VP'));
  at += vpf === 2 ? 1 : vpf === 0 ? 0 : 7;
  const ud = decodeUserData(buf, at, dataCoding, (first & 0x40) !== 0);
  return {
    type: 'submit',
    messageReference,
    recipient: address,
    statusReport: (first & 0x20) !== 0,
    dataCoding,
    validityMinutes: validity,
    udh: ud.udh,
    payload: ud.payload,
  };
}
