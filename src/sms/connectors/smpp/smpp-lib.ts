/**
 * The `smpp` package, with one correction applied once at load: its
 * short_message / message_payload filter re-encodes text itself and labels
 * GSM 03.38 as data_coding 1 (IA5) — the bug users of node-smpp hit
 * (farhadi/node-smpp#181). telenode plans and encodes text itself
 * (src/sms/encoding), so the filter is replaced by one that passes octets
 * through untouched in both directions: what we put in short_message is what
 * goes on the wire, and what arrives is handed to us as raw octets.
 *
 * A second correction: when a PDU's body cannot be decoded (a zero-length
 * TLV, a truncated C-octet string…), node-smpp emits 'error' and leaves the
 * session's reader stuck, so the session is lost, the SMSC sends the same
 * PDU again after the rebind, and the bind flaps with everything behind it
 * stuck. The framing is still intact (command_length, SMPP 3.4 §3.2), so
 * the reader now hands such a PDU to 'invalid_pdu' listeners and carries on
 * with the next one; only a broken command_length still ends the session.
 *
 * A third, for speed only: the PDU encoder and decoder (pdu-fast-paths.ts).
 *
 * A fourth: SMPP times (schedule_delivery_time, validity_period, final_date; SMPP 3.4 §7.1.1) arrive as the
 * strings they are on the wire. node-smpp turned them into Dates, reading a relative time in the host's local
 * time zone and taking the century from today, and the SMPP server, which reads them itself (smpp-time.ts),
 * then refused every client's valid validity_period as not SMPP time. Dates are still written as SMPP time.
 *
 * One change cannot be made after the package has loaded, so it is a patch
 * (patches/smpp+0.6.0-rc.4.patch, applied by `npm install`): the package
 * loads findhit-proxywrap, and with it all of lodash (1.4 MiB of heap), only
 * for a server that asks for PROXY protocol detection, which telenode does
 * not use.
 */
import smpp, { type Pdu } from 'smpp';
import { installFastPduPaths, type SmppInternals } from './pdu-fast-paths.js';

const RAW = { encode: (value: unknown) => value, decode: (value: unknown) => value };

for (const command of Object.values(smpp.commands)) {
  const param = command.params?.['short_message'];
  if (param?.filter) param.filter = RAW;
}
if (smpp.tlvs['message_payload']) smpp.tlvs['message_payload'].filter = RAW;
// One filter object serves every time field of every command.
(smpp as unknown as { filters: { time: { decode: (value: unknown) => unknown } } }).filters.time.decode = RAW.decode;

installFastPduPaths(smpp as unknown as SmppInternals, new Set([RAW]));

const HEADER_OCTETS = 16;
/** node-smpp's own limit (PDU.maxLength): a larger PDU is refused, as node-smpp refuses it. */
const MAX_PDU_OCTETS = (smpp.PDU as unknown as { maxLength: number }).maxLength;

interface SessionInternals {
  _busy: boolean;
  _command_length: number | null;
  paused: boolean;
  socket: { read(size: number): Buffer | null };
  _callbacks: Record<number, (pdu: Pdu) => void>;
  emit(event: string, ...args: unknown[]): boolean;
  listenerCount(event: string): number;
}

const PduFromBuffer = smpp.PDU as unknown as new (buffer: Buffer) => Pdu;

(smpp.Session as unknown as { prototype: { _extractPDUs: (this: SessionInternals) => void } }).prototype._extractPDUs = function extractPdus(
  this: SessionInternals,
): void {
  if (this._busy) return;
  this._busy = true;
  while (!this.paused) {
    if (!this._command_length) {
      const lengthOctets = this.socket.read(4);
      if (!lengthOctets) break;
      const length = lengthOctets.readUInt32BE(0);
      if (length < HEADER_OCTETS || length > MAX_PDU_OCTETS) {
        // The stream cannot be framed any more: the session ends, as before (_busy stays set).
        this.emit('error', new Error(`PDU command_length ${length} is outside ${HEADER_OCTETS}..${MAX_PDU_OCTETS}`));
        return;
      }
      this._command_length = length;
    }
    const length = this._command_length;
    const rest = this.socket.read(length - 4);
    if (!rest) break;
    this._command_length = null;
    const raw = Buffer.alloc(length);
    raw.writeUInt32BE(length, 0);
    rest.copy(raw, 4);
    let pdu: Pdu;
    try {
      pdu = new PduFromBuffer(raw);
    } catch (err) {
      if (this.listenerCount('invalid_pdu') === 0) {
        this.emit('error', err);
        return;
      }
      this.emit('invalid_pdu', raw, err);
      continue;
    }
    this.emit('pdu', pdu);
    this.emit(pdu.command, pdu);
    const callback = pdu.isResponse() ? this._callbacks[pdu.sequence_number] : undefined;
    if (callback) {
      callback(pdu);
      delete this._callbacks[pdu.sequence_number];
    }
  }
  this._busy = false;
};

/** The header fields of a PDU whose body could not be decoded (SMPP 3.4 §3.2). */
export function pduHeader(raw: Buffer): { commandId: number; sequenceNumber: number; command: string | null } {
  const commandId = raw.readUInt32BE(4);
  const command = Object.entries(smpp.commands).find(([, c]) => c.id === commandId)?.[0] ?? null;
  return { commandId, sequenceNumber: raw.readUInt32BE(12), command };
}

export default smpp;
export type { Pdu, Session, Server } from 'smpp';
