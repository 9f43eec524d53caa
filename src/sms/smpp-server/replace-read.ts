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
import { parseSmppTime } from './smpp-time.js';
import { octets, problem, type SubmitProblem } from './submit-read.js';

export function readReplace(pdu: Pdu, meta: SmppMessageMeta, now: number): MessageChange | SubmitProblem {
  const scheduled = String(pdu['schedule_delivery_time'] ?? '');
  const sendAt = parseSmppTime(scheduled, now);
  if (sendAt === undefined) return problem('ESME_RINVSCHED', `schedule_delivery_time '${scheduled}' is not SMPP time`);
  const validity = String(pdu['validity_period'] ?? '');
  const expiresAt = parseSmppTime(validity, now);
  if (expiresAt === undefined) return problem('ESME_RINVEXPIRY', `validity_period '${validity}' is not SMPP time`);
  const dataCoding = meta.dataCoding ?? 0;
  const body = octets(pdu['short_message']);
  if (dataCoding === 0x08 && body.length % 2 !== 0) return problem('ESME_RINVMSGLEN', 'UCS-2 user data of an odd number of octets');
  const change: MessageChange = { meta: smppMeta({ ...meta, registeredDelivery: Number(pdu['registered_delivery'] ?? 0) }) };
  // An empty short_message changes the time or the receipts only: a message is never emptied.
  if (body.length > 0) change.text = decodeShortMessage(body, dataCoding);
  if (sendAt !== null) change.sendAt = sendAt;
  if (expiresAt !== null) change.expiresAt = expiresAt;
  return change;
}
