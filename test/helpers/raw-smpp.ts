/**
 * For tests that play a misbehaving SMSC over a raw socket: split what the
 * connector sends into PDUs by command_length (SMPP 3.4 §3.2), and encode
 * PDUs with node-smpp where a test wants a well-formed one to bend.
 */
import type { Socket } from 'node:net';
import smpp from '../../src/sms/connectors/smpp/smpp-lib.js';

export function encodePdu(command: string, fields: Record<string, unknown>): Buffer {
  return (new smpp.PDU(command, fields) as unknown as { toBuffer(): Buffer }).toBuffer();
}

/** Call `onPdu` with each whole PDU the peer writes on `socket`. */
export function readPdus(socket: Socket, onPdu: (pdu: Buffer, commandId: number, sequenceNumber: number) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (data: Buffer) => {
    buffered = Buffer.concat([buffered, data]);
    while (buffered.length >= 16 && buffered.length >= buffered.readUInt32BE(0)) {
      const pdu = buffered.subarray(0, buffered.readUInt32BE(0));
      buffered = buffered.subarray(pdu.length);
      onPdu(pdu, pdu.readUInt32BE(4), pdu.readUInt32BE(12));
    }
  });
}
