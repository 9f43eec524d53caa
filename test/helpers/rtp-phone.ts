/**
 * A phone's RTP port on loopback for media tests: records what arrives (decoded RTP, with arrival time) and sends RTP
 * of its own. Bound to 127.0.0.1 unless told another loopback address (a stranger on 127.0.0.2).
 */
import { createSocket, type Socket } from 'node:dgram';
import { decodeRtp, encodeRtp, type RtpPacket } from '../../src/voice/media/rtp-packet.js';

export interface RtpPhone {
  socket: Socket;
  port: number;
  packets: (RtpPacket & { at: number })[];
  /** Send one packet (SSRC 77) to `to` on 127.0.0.1. */
  send(packet: Omit<RtpPacket, 'ssrc'>, to: number): void;
  /** The same, settled once the kernel has taken it (on loopback: it is in the receiver's queue, in send order). */
  sent(packet: Omit<RtpPacket, 'ssrc'>, to: number): Promise<void>;
  close(): void;
}

export async function rtpPhone(address = '127.0.0.1'): Promise<RtpPhone> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  const packets: RtpPhone['packets'] = [];
  socket.on('message', (data) => {
    const packet = decodeRtp(data);
    if (packet) packets.push({ ...packet, payload: Buffer.from(packet.payload), at: performance.now() });
  });
  return {
    socket,
    port: socket.address().port,
    packets,
    send: (packet, to) => socket.send(encodeRtp({ ...packet, ssrc: 77 }), to, '127.0.0.1'),
    sent: (packet, to) =>
      new Promise<void>((resolve, reject) => socket.send(encodeRtp({ ...packet, ssrc: 77 }), to, '127.0.0.1', (err) => (err ? reject(err) : resolve()))),
    close: () => socket.close(),
  };
}
