/**
 * What a client's replace_sm asks to change of a message it submitted (SMPP 3.4 §4.10): a new short_message, in
 * the data_coding the message came in (replace_sm has none of its own); a new schedule_delivery_time and
 * validity_period, each kept as it was when NULL (§4.10.1); and the registered_delivery, replaced always. A
 * problem is the command_status the client gets back.
 */
import { decodeShortMessage } from '../encoding/index.js';
import type { Pdu } from '../connectors/smpp/smpp-lib.js';
import type { MessageChange } from '../outbox.js';
import { smppMeta, type SmppMessageMeta } from './message-meta.js';
import { octets, readTimes, ucs2Problem, type SubmitProblem } from './submit-read.js';

export function readReplace(pdu: Pdu, meta: SmppMessageMeta, now: number): MessageChange | SubmitProblem {
  const times = readTimes(pdu, now);
  if ('status' in times) return times;
  const { sendAt, expiresAt } = times;
  const dataCoding = meta.dataCoding ?? 0;
  const body = octets(pdu['short_message']);
  const oddUcs2 = ucs2Problem(dataCoding, body);
  if (oddUcs2) return oddUcs2;
  const change: MessageChange = { meta: smppMeta({ ...meta, registeredDelivery: Number(pdu['registered_delivery'] ?? 0) }) };
  // An empty short_message changes the time or the receipts only: a message is never emptied.
  if (body.length > 0) change.text = decodeShortMessage(body, dataCoding);
  if (sendAt !== null) change.sendAt = sendAt;
  if (expiresAt !== null) change.expiresAt = expiresAt;
  return change;
}
