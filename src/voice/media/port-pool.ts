/**
 * RTP ports from the configured range. RTP takes even ports and leaves the
 * odd neighbour for RTCP (RFC 3550 §11); a port is handed out only after its
 * socket actually bound, so another process holding one is skipped, not fatal.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIPv4 } from 'node:net';
import { AppError, ErrorCode } from '../../shared/errors.js';

export class RtpPortPool {
  private readonly inUse = new Set<number>();
  private next: number;

  constructor(
    private readonly host: string,
    private readonly min: number,
    private readonly max: number,
  ) {
    this.next = min + (min % 2);
  }

  get used(): number {
    return this.inUse.size;
  }

  /** A UDP socket bound on a free even port of the range. */
  async bind(): Promise<{ socket: Socket; port: number; release: () => void }> {
    const span = Math.floor((this.max - this.min) / 2) + 1;
    for (let tries = 0; tries < span; tries++) {
      const port = this.take();
      if (port === null) break;
      try {
        const socket = await bindUdp(this.host, port);
        let released = false;
        return {
          socket,
          port,
          release: () => {
            if (released) return;
            released = true;
            this.inUse.delete(port);
            try {
              socket.close();
            } catch {
              // already closed
            }
          },
        };
      } catch {
        this.inUse.delete(port); // taken by someone else: try the next one
      }
    }
    throw new AppError(ErrorCode.MEDIA_PORTS_EXHAUSTED, `no free RTP port in ${this.min}-${this.max}`, { retryable: true });
  }

  private take(): number | null {
    const span = Math.floor((this.max - this.min) / 2) + 1;
    for (let i = 0; i < span; i++) {
      const port = this.next;
      this.next = this.next + 2 > this.max ? this.min + (this.min % 2) : this.next + 2;
      if (!this.inUse.has(port)) {
        this.inUse.add(port);
        return port;
      }
    }
    return null;
  }
}

/**
 * RTP is sent to addresses from SDP, IP literals nearly always. dgram.send()
 * resolves every destination through its lookup function, and the default
 * one answers even an IP literal on the next tick: every packet then costs a
 * closure and a deferred send. Answering literals synchronously sends the
 * packet inside send() itself, where the media clock can see its cost.
 */
function ipLiteralLookup(
  hostname: string,
  options: LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  if (isIPv4(hostname)) callback(null, hostname, 4);
  else dnsLookup(hostname, { ...options, family: 4 }, callback);
}

function bindUdp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4', lookup: ipLiteralLookup as never });
    const onError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
