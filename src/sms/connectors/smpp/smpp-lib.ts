/**
 * The `smpp` package, with one correction applied once at load: its
 * short_message / message_payload filter re-encodes text itself and labels
 * GSM 03.38 as data_coding 1 (IA5) — the bug users of node-smpp hit
 * (farhadi/node-smpp#181). telenode plans and encodes text itself
 * (src/sms/encoding), so the filter is replaced by one that passes octets
 * through untouched in both directions: what we put in short_message is what
 * goes on the wire, and what arrives is handed to us as raw octets.
 */
import smpp from 'smpp';

const RAW = { encode: (value: unknown) => value, decode: (value: unknown) => value };

for (const command of Object.values(smpp.commands)) {
  const param = command.params?.['short_message'];
  if (param?.filter) param.filter = RAW;
}
if (smpp.tlvs['message_payload']) smpp.tlvs['message_payload'].filter = RAW;

export default smpp;
export type { Pdu, Session, Server } from 'smpp';
