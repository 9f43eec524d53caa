/**
 * The answers to a bound client's requests: submit_sm and data_sm (stored,
 * then answered with the message_id), query_sm (SMPP 3.4 §4.8), and
 * cancel_sm (§4.9) and replace_sm (§4.10), only while no part has gone to a
 * carrier. Failures become the SMPP command_status a client's software
 * understands.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { StoredMessage } from '../../sms/message.js';
import type { Pdu } from '../connectors/smpp/smpp-lib.js';
import { SmppStatus } from '../connectors/smpp/status-codes.js';
import { MessageStatus, isFinal } from '../message.js';
import type { Outbox } from '../outbox.js';
import type { SmppIntake } from './intake.js';
import { messageIdOf, readSmppMeta } from './message-meta.js';
import { readReplace } from './replace-read.js';
import { ReceiptState, receiptStateFor } from './receipts.js';
import { absoluteSmppTime } from './smpp-time.js';
import { readSubmit } from './submit-read.js';

export interface RequestDeps {
  intake: Pick<SmppIntake, 'submit'>;
  outbox: Pick<Outbox, 'cancel' | 'replace' | 'queueDepth'>;
  lookup: (messageId: string) => Promise<StoredMessage | null>;
  maxQueueDepth: number;
  /** False (and counted) when the user is over its messages per second. */
  withinRate: (systemId: string) => boolean;
  now?: () => number;
}

type Fields = Record<string, unknown>;

const status = (name: string): Fields => ({ command_status: SmppStatus[name] ?? SmppStatus['ESME_RSYSERR'] });

export async function answerRequest(deps: RequestDeps, systemId: string, role: string, pdu: Pdu): Promise<Fields> {
  switch (pdu.command) {
    case 'submit_sm':
    case 'data_sm':
      if (role === 'receiver') return status('ESME_RINVBNDSTS');
      return submit(deps, systemId, pdu);
    case 'query_sm':
      return query(deps, systemId, pdu);
    case 'cancel_sm':
      if (role === 'receiver') return status('ESME_RINVBNDSTS');
      return cancel(deps, systemId, pdu);
    case 'replace_sm':
      if (role === 'receiver') return status('ESME_RINVBNDSTS');
      return replace(deps, systemId, pdu);
    default:
      // submit_multi, a deliver_sm from a client…: not offered (generic_nack for unknown command ids, §3.3).
      return status('ESME_RINVCMDID');
  }
}

async function submit(deps: RequestDeps, systemId: string, pdu: Pdu): Promise<Fields> {
  if (!deps.withinRate(systemId)) return status('ESME_RTHROTTLED');
  if (deps.outbox.queueDepth() >= deps.maxQueueDepth) return status('ESME_RMSGQFUL');
  const read = readSubmit(pdu, (deps.now ?? Date.now)());
  if ('status' in read) return { command_status: read.status };
  try {
    return { message_id: await deps.intake.submit(systemId, read) };
  } catch (err) {
    return { command_status: statusFor(err) };
  }
}

/** The outbox's refusals in SMPP's words (SMPP 3.4 §5.1.3). */
export function statusFor(err: unknown): number {
  const code = err instanceof AppError ? err.code : null;
  switch (code) {
    case ErrorCode.ROUTE_NOT_FOUND:
      return SmppStatus['ESME_RINVDSTADR']!;
    case ErrorCode.MESSAGE_TOO_LONG:
    case ErrorCode.MESSAGE_EMPTY:
      return SmppStatus['ESME_RINVMSGLEN']!;
    case ErrorCode.NUMBER_SMS_DISABLED:
    case ErrorCode.NUMBER_NOT_OWNED:
      return SmppStatus['ESME_RINVSRCADR']!;
    case ErrorCode.MESSAGE_SCHEDULE_INVALID:
      return SmppStatus['ESME_RINVSCHED']!;
    case ErrorCode.QUOTA_EXCEEDED:
    case ErrorCode.SHUTTING_DOWN:
      return SmppStatus['ESME_RMSGQFUL']!;
    default:
      return SmppStatus['ESME_RSYSERR']!;
  }
}

async function ownMessage(deps: RequestDeps, systemId: string, pdu: Pdu): Promise<StoredMessage | null> {
  const id = String(pdu['message_id'] ?? '');
  if (id === '') return null;
  const message = await deps.lookup(messageIdOf(id));
  return message && message.user === systemId ? message : null;
}

async function query(deps: RequestDeps, systemId: string, pdu: Pdu): Promise<Fields> {
  const message = await ownMessage(deps, systemId, pdu);
  // A message of another client is as unknown as one that never was.
  if (!message) return status('ESME_RQUERYFAIL');
  const final = isFinal(message.status);
  const state = final ? receiptStateFor(message, 0x01) : message.status === MessageStatus.Accepted ? ReceiptState.ACCEPTD : ReceiptState.ENROUTE;
  const carrierError = message.carrierError && /^\d+$/.test(message.carrierError) ? Number(message.carrierError) % 256 : 0;
  return {
    message_id: String(pdu['message_id']),
    final_date: final && message.doneAt ? absoluteSmppTime(message.doneAt) : '',
    message_state: state?.state ?? ReceiptState.UNKNOWN.state,
    error_code: carrierError,
  };
}

async function cancel(deps: RequestDeps, systemId: string, pdu: Pdu): Promise<Fields> {
  const message = await ownMessage(deps, systemId, pdu);
  if (!message) return status('ESME_RCANCELFAIL');
  return (await deps.outbox.cancel(message.id)) ? {} : status('ESME_RCANCELFAIL');
}

async function replace(deps: RequestDeps, systemId: string, pdu: Pdu): Promise<Fields> {
  const message = await ownMessage(deps, systemId, pdu);
  const meta = message ? readSmppMeta(message) : null;
  if (!message || !meta) return status('ESME_RREPLACEFAIL');
  const change = readReplace(pdu, meta, (deps.now ?? Date.now)());
  if ('status' in change) return { command_status: change.status };
  try {
    return (await deps.outbox.replace(message.id, change)) ? {} : status('ESME_RREPLACEFAIL');
  } catch (err) {
    return { command_status: statusFor(err) };
  }
}
