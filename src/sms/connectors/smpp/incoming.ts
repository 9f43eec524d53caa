/**
 * What a deliver_sm or data_sm from the SMSC means: a delivery receipt, or
 * an inbound message (with its concatenation from a UDH, SAR TLVs, or
 * neither). Octets arrive raw (smpp-lib.ts).
 */
import { parseUdh } from '../../encoding/index.js';
import type { InboundFragment, ReceiptEvent } from '../connector.js';
import type { Pdu } from './smpp-lib.js';
import { isReceiptEsmClass, toReceiptEvent } from './receipt.js';

/**
 * SMPP 3.4 allows an address 21 octets with its NUL (§4.6.1, deliver_sm) and a message id 65 (§5.3.2.12,
 * receipted_message_id); SMSCs are known to exceed both a little, so three times that passes. Far more is a broken or
 * hostile peer, and no store could index it: PostgreSQL refused the row (a btree row holds 2,704 bytes at most), the
 * PDU was answered with a temporary error, and the SMSC sent it again every half second without end.
 */
const MAX_ADDRESS_CHARS = 64;
const MAX_MESSAGE_ID_CHARS = 195;

export type Incoming = { kind: 'receipt'; event: ReceiptEvent } | { kind: 'inbound'; fragment: InboundFragment } | { kind: 'invalid'; reason: string };

function octets(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'latin1');
  return Buffer.alloc(0);
}

function num(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

export function classifyIncoming(connectorId: string, pdu: Pdu, now: number): Incoming {
  const esmClass = num(pdu['esm_class']) ?? 0;
  const payloadTlv = octets(pdu['message_payload']);
  const body = payloadTlv.length > 0 ? payloadTlv : octets(pdu['short_message']);

  if (isReceiptEsmClass(esmClass)) {
    const event = toReceiptEvent(connectorId, {
      receiptedMessageId: typeof pdu['receipted_message_id'] === 'string' ? (pdu['receipted_message_id'] as string) : null,
      messageState: num(pdu['message_state']),
      text: body.toString('latin1'),
    });
    if (!event) return { kind: 'invalid', reason: 'delivery receipt without a message id' };
    if (event.carrierId.length > MAX_MESSAGE_ID_CHARS) return { kind: 'invalid', reason: `receipted message id of ${event.carrierId.length} characters` };
    return { kind: 'receipt', event };
  }

  const sender = String(pdu['source_addr'] ?? '');
  const recipient = String(pdu['destination_addr'] ?? '');
  if (sender.length > MAX_ADDRESS_CHARS) return { kind: 'invalid', reason: `source_addr of ${sender.length} characters` };
  if (recipient.length > MAX_ADDRESS_CHARS) return { kind: 'invalid', reason: `destination_addr of ${recipient.length} characters` };
  let payload = body;
  let concat: InboundFragment['concat'] = null;
  if (esmClass & 0x40) {
    // UDHI (SMPP 3.4 §5.2.12): the user data starts with a header (3GPP TS 23.040 §9.2.3.24).
    try {
      const udh = parseUdh(body);
      payload = body.subarray(udh.length);
      if (udh.concat) concat = { reference: udh.concat.reference, total: udh.concat.total, seq: udh.concat.seq };
    } catch (err) {
      return { kind: 'invalid', reason: (err as Error).message };
    }
  } else if (num(pdu['sar_msg_ref_num']) !== null && num(pdu['sar_total_segments']) !== null && num(pdu['sar_segment_seqnum']) !== null) {
    concat = { reference: num(pdu['sar_msg_ref_num'])!, total: num(pdu['sar_total_segments'])!, seq: num(pdu['sar_segment_seqnum'])! };
  }
  return {
    kind: 'inbound',
    fragment: {
      connectorId,
      sender,
      recipient,
      dataCoding: num(pdu['data_coding']) ?? 0,
      payload: Buffer.from(payload),
      concat,
      receivedAt: now,
    },
  };
}
