import { describe, expect, it } from 'vitest';
import { decodeRtp, encodeRtp } from '../../../../src/voice/media/rtp-packet.js';
import { DtmfDetector, decodeTelephoneEvent, digitToEvent, encodeTelephoneEvent } from '../../../../src/voice/media/dtmf.js';
import { parseInfoDigit } from '../../../../src/voice/sip/info-dtmf.js';

describe('RTP packets', () => {
  it('round-trips the fixed header and payload', () => {
    const packet = { payloadType: 8, marker: true, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, payload: Buffer.from([1, 2, 3]) };
    expect(decodeRtp(encodeRtp(packet))).toEqual(packet);
  });

  it('skips CSRCs and a header extension, removes padding', () => {
    const header = Buffer.from([0xb1, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]); // V=2, P=1, X=1, CC=1
    const csrc = Buffer.from([0, 0, 0, 9]);
    const extension = Buffer.from([0xbe, 0xde, 0, 1, 1, 2, 3, 4]);
    const packet = Buffer.concat([header, csrc, extension, Buffer.from([7, 7, 0, 0, 3])]);
    expect(decodeRtp(packet)!.payload).toEqual(Buffer.from([7, 7]));
  });

  it('refuses what is not RTP: short, wrong version, RTCP under rtcp-mux, bad extension length', () => {
    expect(decodeRtp(Buffer.alloc(5))).toBeNull();
    expect(decodeRtp(Buffer.from([0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeNull();
    expect(decodeRtp(Buffer.from([0x80, 200, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeNull();
    expect(decodeRtp(Buffer.from([0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0xff, 0xff]))).toBeNull();
  });
});

describe('RFC 4733 telephone events', () => {
  it('encodes and decodes event, end bit, volume and duration', () => {
    const e = { event: digitToEvent('#'), end: true, volume: 10, duration: 800 };
    expect(e.event).toBe(11);
    expect(decodeTelephoneEvent(encodeTelephoneEvent(e))).toEqual(e);
  });

  it('reports each digit once across its start, continuation and three end packets, in order', () => {
    const digits: string[] = [];
    const detector = new DtmfDetector((d) => digits.push(d));
    const send = (ts: number, event: number, end: boolean) => detector.packet(1, ts, encodeTelephoneEvent({ event, end, volume: 10, duration: 160 }));
    for (const [ts, event] of [
      [1000, 1],
      [2000, 2],
      [3000, 1],
    ] as const) {
      send(ts, event, false);
      send(ts, event, false);
      for (let i = 0; i < 3; i++) send(ts, event, true);
    }
    expect(digits.join('')).toBe('121');
  });

  it('rejects a character that is no DTMF key', () => {
    expect(() => digitToEvent('x')).toThrow(RangeError);
  });
});

describe('SIP INFO digits', () => {
  it.each([
    ['application/dtmf-relay', 'Signal=5\r\nDuration=160', '5'],
    ['application/dtmf-relay; charset=x', 'signal= #\r\n', '#'],
    ['application/dtmf', '7', '7'],
    ['application/dtmf-relay', 'Signal=10', '*'],
    ['application/dtmf-relay', 'Signal=Z', null],
    ['text/plain', '5', null],
    [undefined, '5', null],
  ])('%s %j → %s', (type, body, digit) => {
    expect(parseInfoDigit(type, body)).toBe(digit);
  });
});
