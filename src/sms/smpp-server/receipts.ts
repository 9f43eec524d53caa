/**
 * Delivery receipts for the SMPP server's clients: a deliver_sm per part the
 * client sent, with esm_class "SMSC delivery receipt" (SMPP 3.4 §5.2.12), the
 * customary text of Appendix B — `id:… sub:001 dlvrd:… submit date:… done
 * date:… stat:… err:… text:…` — and the receipted_message_id and
 * message_state TLVs (§5.3.2.12, §5.3.2.35), queued in the same transaction
 * as the status change that caused them (the StatusNotifier).
 */
import type { StoredMessage } from '../../sms/message.js';
import type { StatusNotifier } from '../status-writer.js';
import { ErrorCode } from '../../shared/errors.js';
import { MessageStatus } from '../message.js';
import type { DeliveryQueueStore, NewDelivery } from './ports.js';
import { SMPP_DIALECT, partIds, readSmppMeta } from './message-meta.js';
import { receiptDate } from './smpp-time.js';

/** SMPP 3.4 §5.2.28 message_state values, with the receipt's 7-letter stat. */
export const ReceiptState = {
  ENROUTE: { stat: 'ENROUTE', state: 1 },
  DELIVRD: { stat: 'DELIVRD', state: 2 },
  EXPIRED: { stat: 'EXPIRED', state: 3 },
  DELETED: { stat: 'DELETED', state: 4 },
  UNDELIV: { stat: 'UNDELIV', state: 5 },
  ACCEPTD: { stat: 'ACCEPTD', state: 6 },
  UNKNOWN: { stat: 'UNKNOWN', state: 7 },
  REJECTD: { stat: 'REJECTD', state: 8 },
} as const;
export type ReceiptState = (typeof ReceiptState)[keyof typeof ReceiptState];

const ESM_CLASS_DELIVERY_RECEIPT = 0x04;
/** registered_delivery bits 1..0 (§5.2.17): 01 every final outcome, 10 failures only; 11 (SMPP 5.0) successes only. */
const RECEIPT_ON_FINAL = 0x01;
const RECEIPT_ON_FAILURE = 0x02;
const RECEIPT_ON_SUCCESS = 0x03;
/** Bit 4: intermediate notification. */
const INTERMEDIATE = 0x10;

/** The receipt a status deserves, or null when this client asked for none for it. */
export function receiptStateFor(message: Pick<StoredMessage, 'status' | 'submittedAt' | 'errorCode'>, registeredDelivery: number): ReceiptState | null {
  const state = stateOf(message);
  if (!state) return null;
  if (state === ReceiptState.ENROUTE) return registeredDelivery & INTERMEDIATE ? state : null;
  const wanted = registeredDelivery & 0x03;
  if (wanted === RECEIPT_ON_FINAL) return state;
  if (wanted === RECEIPT_ON_FAILURE) return state === ReceiptState.DELIVRD ? null : state;
  if (wanted === RECEIPT_ON_SUCCESS) return state === ReceiptState.DELIVRD ? state : null;
  return null;
}

function stateOf(message: Pick<StoredMessage, 'status' | 'submittedAt' | 'errorCode'>): ReceiptState | null {
  switch (message.status) {
    case MessageStatus.Buffered:
      return ReceiptState.ENROUTE;
    case MessageStatus.Delivered:
      return ReceiptState.DELIVRD;
    case MessageStatus.Expired:
      return ReceiptState.EXPIRED;
    case MessageStatus.Unknown:
      return ReceiptState.UNKNOWN;
    case MessageStatus.Failed:
      if (message.errorCode === ErrorCode.MESSAGE_CANCELLED) return ReceiptState.DELETED;
      // Refused before any carrier took it (no route, a permanent submit error): rejected, not undeliverable.
      return message.submittedAt === null ? ReceiptState.REJECTD : ReceiptState.UNDELIV;
    default:
      return null;
  }
}

export interface ReceiptArgs {
  systemId: string;
  /** The part's message_id, as its submit_sm_resp carried it. */
  id: string;
  /** The original message's addresses; the receipt goes from its recipient to its sender. */
  sender: string;
  recipient: string;
  state: ReceiptState;
  submittedAt: number;
  doneAt: number;
  /** Network or carrier error, three digits in the text. */
  err: string;
  text: string;
  orderKey: string;
}

export function receiptDelivery(a: ReceiptArgs): NewDelivery {
  const delivered = a.state === ReceiptState.DELIVRD ? '001' : '000';
  const body =
    `id:${a.id} sub:001 dlvrd:${delivered} submit date:${receiptDate(a.submittedAt)} done date:${receiptDate(a.doneAt)} ` +
    `stat:${a.state.stat} err:${a.err} text:${a.text.slice(0, 20)}`;
  return {
    systemId: a.systemId,
    orderKey: a.orderKey,
    kind: 'receipt',
    createdAt: a.doneAt,
    fields: {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: a.recipient,
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: a.sender,
      esm_class: ESM_CLASS_DELIVERY_RECEIPT,
      data_coding: 0,
      // The receipt text is ASCII whatever the message was; GSM 03.38 and ASCII agree on every character it uses but '@'.
      short_message: Buffer.from(body.replace(/[^\x20-\x3f\x41-\x7e]/g, '?'), 'latin1'),
      receipted_message_id: a.id,
      message_state: a.state.state,
    },
  };
}

/** Three digits for the receipt's err: the carrier's numeric error when it gave one. */
function errDigits(message: Pick<StoredMessage, 'carrierError' | 'status'>): string {
  const numeric = message.carrierError && /^\d+$/.test(message.carrierError) ? Number(message.carrierError) : null;
  if (numeric !== null) return String(numeric % 1000).padStart(3, '0');
  return message.status === MessageStatus.Delivered || message.status === MessageStatus.Buffered ? '000' : '001';
}

/** Queues receipts for the SMPP clients' messages, in the status change's own transaction. */
export function smppReceiptNotifier(queue: Pick<DeliveryQueueStore, 'enqueue'>, now: () => number = Date.now): StatusNotifier {
  return async (message) => {
    if (message.dialect !== SMPP_DIALECT) return;
    const meta = readSmppMeta(message);
    if (!meta) return;
    const state = receiptStateFor(message, meta.registeredDelivery);
    if (!state) return;
    const doneAt = message.doneAt ?? now();
    for (const id of partIds(message.id, meta.parts)) {
      await queue.enqueue(
        receiptDelivery({
          systemId: message.user,
          id,
          sender: message.sender,
          recipient: message.recipient,
          state,
          submittedAt: message.createdAt,
          doneAt,
          err: errDigits(message),
          text: message.text,
          orderKey: message.id,
        }),
      );
    }
  };
}
