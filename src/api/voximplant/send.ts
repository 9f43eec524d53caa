/**
 * Voximplant SendSmsMessage and A2PSendSms (Voximplant's Management API reference). Both only translate
 * onto the outbox: a message per destination, stored before we answer, its
 * numeric `message_id` the message's history number. `fragments_count` is the
 * number of SMS parts (160 GSM-7 / 70 UTF-16 units in one part, 153 / 67 per
 * part when longer). `store_body=false` (the default) hides the text from
 * history; the outbox itself still needs it to send and retry the message.
 */
import { AppError, ErrorCode, isAppError } from '../../shared/errors.js';
import type { StoredMessage } from '../../sms/message.js';
import { estimateSegments } from '../../sms/encoding/index.js';
import { validateRecipient, validateSender } from '../../sms/validate.js';
import type { VoximplantAnswer, VoximplantCall } from './method.js';
import { booleanParam, invalidArgument, requiredParam, textParam } from './params.js';
import { toVoximplantError } from './errors.js';

/** Seed 003: "The message text, up to 765 characters." */
export const SEND_SMS_MAX_CHARS = 765;
/** Seed 003: "The message text, up to 1600 characters." */
export const A2P_MAX_CHARS = 1600;
/** Seed 003: "The maximum number of these phone numbers is 100." */
export const A2P_MAX_DESTINATIONS = 100;

export async function sendSmsMessage(call: VoximplantCall): Promise<VoximplantAnswer> {
  const { params } = call;
  const source = requiredParam(params, 'source');
  const sourceError = validateRecipient(source);
  if (sourceError) throw invalidArgument('source', sourceError);
  const destination = requiredParam(params, 'destination');
  const destinationError = validateRecipient(destination);
  if (destinationError) throw invalidArgument('destination', destinationError);
  const text = textParam(params, 'sms_body', SEND_SMS_MAX_CHARS);
  const storeBody = booleanParam(params, 'store_body', false);

  const message = await accept(call, source, destination, text, storeBody, 'sms_body');
  return { json: { result: 1, message_id: await messageNumber(call, message), fragments_count: message.partsEstimate } };
}

export async function a2pSendSms(call: VoximplantCall): Promise<VoximplantAnswer> {
  const { params } = call;
  const source = requiredParam(params, 'src_number');
  const sourceError = validateSender(source);
  if (sourceError) throw invalidArgument('src_number', sourceError);
  const destinations = requiredParam(params, 'dst_numbers')
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d.length > 0);
  if (destinations.length === 0) throw invalidArgument('dst_numbers', 'is required');
  if (destinations.length > A2P_MAX_DESTINATIONS) {
    throw invalidArgument('dst_numbers', `at most ${A2P_MAX_DESTINATIONS} numbers (got ${destinations.length})`);
  }
  const text = textParam(params, 'text', A2P_MAX_CHARS);
  const storeBody = booleanParam(params, 'store_body', false);

  // One message per destination; a bad destination fails alone (FailedSms), the others are sent.
  const outcomes = await Promise.allSettled(
    destinations.map((destination) => {
      const error = validateRecipient(destination);
      if (error) return Promise.reject(invalidArgument('dst_numbers', `${destination.slice(0, 40)}: ${error}`));
      return accept(call, source, destination, text, storeBody, 'text');
    }),
  );
  const result: Array<{ message_id: number; destination_number: string }> = [];
  const failed: Array<{ destination_number: string; error_code: number; error_description: string }> = [];
  for (const [i, outcome] of outcomes.entries()) {
    const destination = destinations[i]!;
    if (outcome.status === 'fulfilled') {
      result.push({ message_id: await messageNumber(call, outcome.value), destination_number: destination });
      continue;
    }
    const mapped = toVoximplantError(outcome.reason);
    if (!mapped) throw outcome.reason; // our own failure: HTTP 5xx, the client retries the whole call
    failed.push({ destination_number: destination, error_code: mapped.code, error_description: mapped.msg });
  }
  return { json: { result, failed, fragments_count: estimateSegments(text).parts } };
}

async function accept(call: VoximplantCall, sender: string, recipient: string, text: string, storeBody: boolean, textField: string): Promise<StoredMessage> {
  try {
    // The method's own character limit (765 or 1,600) was checked: sms.maxParts does not apply.
    return await call.deps.outbox.accept({ user: call.username, dialect: 'voximplant', sender, recipient, text, meta: { storeBody }, maxParts: null });
  } catch (err) {
    // The outbox names its own field ('text'); the client knows this method's name for it.
    if (isAppError(err) && err.details?.['field'] === 'text') {
      throw new AppError(err.code, err.message, { details: { ...err.details, field: textField }, cause: err });
    }
    throw err;
  }
}

async function messageNumber(call: VoximplantCall, message: StoredMessage): Promise<number> {
  const seq = await call.deps.history.seqOf('out', message.id);
  if (seq === undefined) throw new AppError(ErrorCode.INTERNAL, `message ${message.id} has no history number`);
  return seq;
}
