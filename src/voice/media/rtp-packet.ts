/**
 * RTP fixed header (RFC 3550 §5.1): enough to send G.711 and RFC 4733 events
 * and to read what peers send (CSRCs and header extensions skipped, padding
 * removed).
 */
export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

const HEADER_BYTES = 12;

export function encodeRtp(packet: RtpPacket): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + packet.payload.length);
  out[0] = 0x80; // version 2, no padding, no extension, no CSRC
  out[1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  out.writeUInt16BE(packet.sequence & 0xffff, 2);
  out.writeUInt32BE(packet.timestamp >>> 0, 4);
  out.writeUInt32BE(packet.ssrc >>> 0, 8);
  packet.payload.copy(out, HEADER_BYTES);
  return out;
}

/** Null for anything that is not RTP version 2 (STUN, RTCP on the same port, noise). */
export function decodeRtp(data: Buffer): RtpPacket | null {
  if (data.length < HEADER_BYTES || data[0]! >> 6 !== 2) return null;
  const payloadType = data[1]! & 0x7f;
  // RTCP shares the port under rtcp-mux; its packet types 200–204 land on 72–76 here (RFC 5761 §4).
  if (payloadType >= 72 && payloadType <= 76) return null;
  const csrcCount = data[0]! & 0x0f;
  let offset = HEADER_BYTES + csrcCount * 4;
  if (data[0]! & 0x10) {
    if (data.length < offset + 4) return null;
    offset += 4 + data.readUInt16BE(offset + 2) * 4;
  }
  let end = data.length;
  if (data[0]! & 0x20) end -= data[data.length - 1]!;
  if (offset > end) return null;
  return {
    payloadType,
    marker: (data[1]! & 0x80) !== 0,
    sequence: data.readUInt16BE(2),
    timestamp: data.readUInt32BE(4),
    ssrc: data.readUInt32BE(8),
    payload: data.subarray(offset, end),
  };
}
