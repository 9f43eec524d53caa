/**
 * RFC 4733 telephone-event payloads (§2.3): event, end bit, volume, duration.
 * A digit arrives as several packets sharing one RTP timestamp, the last
 * three with the end bit set; the receiver reports it once.
 */
export const DTMF_EVENTS = '0123456789*#ABCD';

export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

export function decodeTelephoneEvent(payload: Buffer): TelephoneEvent | null {
  if (payload.length < 4) return null;
  return { event: payload[0]!, end: (payload[1]! & 0x80) !== 0, volume: payload[1]! & 0x3f, duration: payload.readUInt16BE(2) };
}

export function encodeTelephoneEvent(e: TelephoneEvent): Buffer {
  const out = Buffer.allocUnsafe(4);
  out[0] = e.event;
  out[1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  out.writeUInt16BE(Math.min(0xffff, e.duration), 2);
  return out;
}

export function digitToEvent(digit: string): number {
  const index = DTMF_EVENTS.indexOf(digit.toUpperCase());
  if (index < 0) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  return index;
}

export function eventToDigit(event: number): string | null {
  return DTMF_EVENTS[event] ?? null;
}

/**
 * Reports each digit once. A digit is keyed by its RTP timestamp: the start
 * packets, the repeated end packets and any retransmission share it (§2.5.1.4).
 */
export class DtmfDetector {
  private lastKey: string | null = null;

  constructor(private readonly onDigit: (digit: string) => void) {}

  /** Feed one telephone-event packet. */
  packet(ssrc: number, timestamp: number, payload: Buffer): void {
    const e = decodeTelephoneEvent(payload);
    if (!e) return;
    const key = `${ssrc}:${timestamp}:${e.event}`;
    // Report on the first packet of an event so a caller's key press acts at once; the end packets repeat the key.
    if (key === this.lastKey) return;
    this.lastKey = key;
    const digit = eventToDigit(e.event);
    if (digit) this.onDigit(digit);
  }
}
