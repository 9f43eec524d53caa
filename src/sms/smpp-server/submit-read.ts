/**
 * What a client's submit_sm or data_sm asks for (SMPP 3.4 §4.4.1, §4.7.1),
 * read and checked before anything is stored: addresses, the text by
 * data_coding (§5.2.19), concatenation by UDH (esm_class UDHI, 3GPP TS
 * 23.040 §9.2.3.24) or SAR TLVs (§5.3.2.22–24), message_payload (§5.3.2.32),
 * registered_delivery, validity_period and schedule_delivery_time. A problem is the command_status
 * the client gets back, with a reason for the log.
 */
import { alphabetOf, decodeShortMessage, parseUdh } from '../encoding/index.js';
import { validateRecipient, validateSender } from '../validate.js';
import type { Pdu } from '../connectors/smpp/smpp-lib.js';
import { SmppStatus } from '../connectors/smpp/status-codes.js';
import { parseSmppTime } from './smpp-time.js';

export interface SubmitRead {
  sender: string;
  recipient: string;
  dataCoding: number;
  /** The user data, without a UDH. */
  body: Buffer;
  /** The text of this PDU alone (a part's own text when concatenated). */
  text: string;
  concat: { reference: number; total: number; seq: number } | null;
  registeredDelivery: number;
  expiresAt: number | null;
  /** schedule_delivery_time (§5.2.15), null when absent: the outbox sends one already come at once. */
  sendAt: number | null;
}

export interface SubmitProblem {
  status: number;
  reason: string;
}

/** esm_class bits 5..2 (§5.2.12): 0000 is a plain message; the other types (receipts, acknowledgements) are the SMSC's, not a client's. */
const ESM_MESSAGE_TYPE_MASK = 0x3c;
const ESM_UDHI = 0x40;

export function octets(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'latin1');
  return Buffer.alloc(0);
}

function problem(status: keyof typeof SmppStatus | string, reason: string): SubmitProblem {
  return { status: SmppStatus[status] ?? SmppStatus['ESME_RSYSERR']!, reason };
}

export function readSubmit(pdu: Pdu, now: number): SubmitRead | SubmitProblem {
  const recipient = String(pdu['destination_addr'] ?? '');
  const recipientProblem = recipient === '' ? 'destination_addr is empty' : validateRecipient(recipient);
  if (recipientProblem) return problem('ESME_RINVDSTADR', recipientProblem);
  const sender = String(pdu['source_addr'] ?? '');
  const senderProblem = sender === '' ? null : validateSender(sender);
  if (senderProblem) return problem('ESME_RINVSRCADR', senderProblem);
  const esmClass = Number(pdu['esm_class'] ?? 0);
  if (esmClass & ESM_MESSAGE_TYPE_MASK) return problem('ESME_RINVESMCLASS', `esm_class 0x${esmClass.toString(16)} is not a plain message`);
  const times = readTimes(pdu, now);
  if ('status' in times) return times;
  const { sendAt, expiresAt } = times;
  const dataCoding = Number(pdu['data_coding'] ?? 0);
  if (alphabetOf(dataCoding) === 'binary')
    return problem('ESME_RSUBMITFAIL', `data_coding 0x${dataCoding.toString(16)} is binary data, which telenode does not send on`);
  const content = readContent(pdu, esmClass);
  if ('status' in content) return content;
  const oddUcs2 = ucs2Problem(dataCoding, content.body);
  if (oddUcs2) return oddUcs2;
  return {
    sender,
    recipient,
    dataCoding,
    body: content.body,
    text: decodeShortMessage(content.body, dataCoding),
    concat: content.concat,
    registeredDelivery: Number(pdu['registered_delivery'] ?? 0),
    expiresAt,
    sendAt,
  };
}

/**
 * schedule_delivery_time and validity_period (§5.2.15, §5.2.16, SMPP time §7.1.1) as epoch ms, null when NULL; or the
 * status for the one that is not SMPP time. submit_sm and replace_sm read them alike.
 */
export function readTimes(pdu: Pdu, now: number): { sendAt: number | null; expiresAt: number | null } | SubmitProblem {
  const scheduled = String(pdu['schedule_delivery_time'] ?? '');
  const sendAt = parseSmppTime(scheduled, now);
  if (sendAt === undefined) return problem('ESME_RINVSCHED', `schedule_delivery_time '${scheduled}' is not SMPP time`);
  const validity = String(pdu['validity_period'] ?? '');
  const expiresAt = parseSmppTime(validity, now);
  if (expiresAt === undefined) return problem('ESME_RINVEXPIRY', `validity_period '${validity}' is not SMPP time`);
  return { sendAt, expiresAt };
}

/** UCS-2 user data (data_coding 0x08) comes in pairs of octets. */
export function ucs2Problem(dataCoding: number, body: Buffer): SubmitProblem | null {
  return dataCoding === 0x08 && body.length % 2 !== 0 ? problem('ESME_RINVMSGLEN', 'UCS-2 user data of an odd number of octets') : null;
}

function readContent(pdu: Pdu, esmClass: number): { body: Buffer; concat: SubmitRead['concat'] } | SubmitProblem {
  const shortMessage = octets(pdu['short_message']);
  const payload = octets(pdu['message_payload']);
  // §5.3.2.32: message_payload and a non-empty short_message must not come together.
  if (payload.length > 0 && shortMessage.length > 0) return problem('ESME_RINVMSGLEN', 'both short_message and message_payload carry text');
  const data = payload.length > 0 ? payload : shortMessage;
  if (esmClass & ESM_UDHI) {
    let udh;
    try {
      udh = parseUdh(data);
    } catch (err) {
      return problem('ESME_RINVESMCLASS', `UDHI is set but the user data header is broken: ${(err as Error).message}`);
    }
    const concat = udh.concat ? { reference: udh.concat.reference, total: udh.concat.total, seq: udh.concat.seq } : null;
    if (concat && (concat.total < 1 || concat.seq < 1 || concat.seq > concat.total))
      return problem('ESME_RINVESMCLASS', `concatenation part ${concat.seq} of ${concat.total}`);
    return { body: data.subarray(udh.length), concat: concat && concat.total > 1 ? concat : null };
  }
  const ref = pdu['sar_msg_ref_num'];
  const total = pdu['sar_total_segments'];
  const seq = pdu['sar_segment_seqnum'];
  if (typeof ref === 'number' || typeof total === 'number' || typeof seq === 'number') {
    if (typeof ref !== 'number' || typeof total !== 'number' || typeof seq !== 'number')
      return problem('ESME_RMISSINGOPTPARAM', 'SAR needs all three of sar_msg_ref_num, sar_total_segments and sar_segment_seqnum');
    if (total < 1 || seq < 1 || seq > total) return problem('ESME_RINVOPTPARAMVAL', `SAR segment ${seq} of ${total}`);
    return { body: data, concat: total > 1 ? { reference: ref, total, seq } : null };
  }
  return { body: data, concat: null };
}
