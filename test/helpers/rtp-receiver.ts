/** A UDP socket on loopback that stands in for a phone's audio port: collects RTP and decodes G.711. */
import { createSocket, type Socket } from 'node:dgram';
import { decodeRtp, type RtpPacket } from '../../src/voice/media/rtp-packet.js';
import { decodeG711 } from '../../src/voice/media/g711.js';

export interface ReceivedPacket extends RtpPacket {
  at: number;
}

export class RtpReceiver {
  readonly packets: ReceivedPacket[] = [];
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on('message', (data) => {
      const packet = decodeRtp(data);
      if (packet) this.packets.push({ ...packet, payload: Buffer.from(packet.payload), at: performance.now() });
    });
  }

  static async start(port = 0): Promise<RtpReceiver> {
    const socket = createSocket('udp4');
    await new Promise<void>((res, rej) => {
      socket.once('error', rej);
      socket.bind(port, '127.0.0.1', () => res());
    });
    return new RtpReceiver(socket, socket.address().port);
  }

  /** All audio received with payload type 0 (PCMU) or 8 (PCMA), decoded, in arrival order. */
  audio(): Int16Array {
    const frames = this.packets
      .filter((p) => p.payloadType === 0 || p.payloadType === 8)
      .map((p) => decodeG711(p.payloadType === 0 ? 'PCMU' : 'PCMA', p.payload));
    const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
    let offset = 0;
    for (const f of frames) {
      out.set(f, offset);
      offset += f.length;
    }
    return out;
  }

  close(): void {
    this.socket.close();
  }
}
