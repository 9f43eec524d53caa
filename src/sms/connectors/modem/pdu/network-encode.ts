/**
 * What the network side sends: SMS-DELIVER (3GPP TS 23.040 §9.2.2.1) and
 * SMS-STATUS-REPORT (§9.2.2.3). telenode itself only decodes these; the
 * modem simulator encodes them.
 */
import { buildConcatUdh } from '../../../encoding/index.js';
import { encodeAddress, encodeSmscField, encodeTimestamp } from './semi-octets.js';
import { encodeUserData } from './user-data.js';

export interface DeliverPduInput {
  smsc?: string;
  sender: string;
  /** TP-DCS: 0x00 GSM 7-bit, 0x08 UCS-2. */
  dataCoding: number;
  /** Unpacked septets (GSM) or octets. */
  payload: Buffer;
  concat?: { reference: number; total: number; seq: number; sixteenBit: boolean } | null;
  sentAt: number;
  zoneMinutes?: number;
}

export function encodeDeliverPdu(input: DeliverPduInput): string {
  const udh = input.concat ? buildConcatUdh(input.concat.reference, input.concat.total, input.concat.seq, input.concat.sixteenBit) : null;
  // TP-MTI 00 (DELIVER), TP-MMS set (no more messages waiting), TP-UDHI when a header follows.
  const first = 0x04 | (udh ? 0x40 : 0);
  return Buffer.concat([
    encodeSmscField(input.smsc),
    Buffer.from([first]),
    encodeAddress(input.sender),
    Buffer.from([0x00, input.dataCoding]),
    encodeTimestamp(input.sentAt, input.zoneMinutes ?? 0),
    encodeUserData(input.dataCoding, input.payload, udh),
  ])
    .toString('hex')
    .toUpperCase();
}

export interface StatusReportPduInput {
  smsc?: string;
  messageReference: number;
  recipient: string;
  sentAt: number;
  dischargedAt: number;
  /** TP-ST: 0x00 delivered, 0x20–0x3F still trying, 0x40– failed. */
  status: number;
  zoneMinutes?: number;
}

export function encodeStatusReportPdu(input: StatusReportPduInput): string {
  return Buffer.concat([
    encodeSmscField(input.smsc),
    Buffer.from([0x06, input.messageReference & 0xff]), // TP-MTI 10 (STATUS-REPORT), TP-MMS
    encodeAddress(input.recipient),
    encodeTimestamp(input.sentAt, input.zoneMinutes ?? 0),
    encodeTimestamp(input.dischargedAt, input.zoneMinutes ?? 0),
    Buffer.from([input.status]),
  ])
    .toString('hex')
    .toUpperCase();
}
