import { describe, expect, it } from 'vitest';
import * as sdpTransform from 'sdp-transform';
import { negotiate, parseAudioDescription, writeAnswer, writeOffer } from '../../../../src/voice/media/sdp.js';

const offer = (m: string, extra = '', c = '10.0.0.5') => `v=0\r\no=- 1 1 IN IP4 ${c}\r\ns=-\r\nc=IN IP4 ${c}\r\nt=0 0\r\n${m}\r\n${extra}`;

describe('SDP offer/answer', () => {
  it('answers with the offerer’s first supported codec and its telephone-event payload type', () => {
    const parsed = parseAudioDescription(offer('m=audio 4000 RTP/AVP 18 8 0 96', 'a=rtpmap:18 G729/8000\r\na=rtpmap:96 telephone-event/8000\r\n'));
    const media = negotiate(parsed);
    expect(media).toMatchObject({ law: 'PCMA', payloadType: 8, dtmfPayloadType: 96, remote: { address: '10.0.0.5', port: 4000 }, weSend: true });
    const answer = sdpTransform.parse(writeAnswer({ address: '127.0.0.1', port: 20000, sessionId: 5, version: 1 }, media));
    expect(answer.media[0]!.payloads).toBe('8 96');
    expect(answer.media[0]!.port).toBe(20000);
    expect(answer.media[0]!.direction).toBe('sendrecv');
  });

  it.each([
    ['a=sendonly', 'recvonly', false],
    ['a=inactive', 'inactive', false],
    ['a=recvonly', 'sendonly', true],
  ])('mirrors %s as %s (hold, RFC 3264 §8.4)', (attribute, answerDirection, weSend) => {
    const media = negotiate(parseAudioDescription(offer('m=audio 4000 RTP/AVP 0', `${attribute}\r\n`)));
    expect(media.answerDirection).toBe(answerDirection);
    expect(media.weSend).toBe(weSend);
  });

  it.each(['239.1.2.3', '224.2.1.1/127', '255.255.255.255'])('refuses c=IN IP4 %s: multicast or broadcast, never a call’s peer', (address) => {
    expect(() => parseAudioDescription(offer('m=audio 4000 RTP/AVP 0', '', address))).toThrow(expect.objectContaining({ code: 'TN_ERR_SDP_INVALID' }));
  });

  it('refuses an IPv6 multicast connection address, and takes unicast ones', () => {
    const v6 = (c: string) => `v=0\r\no=- 1 1 IN IP6 ${c}\r\ns=-\r\nc=IN IP6 ${c}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n`;
    expect(() => parseAudioDescription(v6('ff02::1'))).toThrow(expect.objectContaining({ code: 'TN_ERR_SDP_INVALID' }));
    expect(parseAudioDescription(v6('2001:db8::5')).address).toBe('2001:db8::5');
    expect(parseAudioDescription(offer('m=audio 4000 RTP/AVP 0', '', '223.255.255.254')).address).toBe('223.255.255.254');
  });

  it('treats c=0.0.0.0 as hold (RFC 2543 style)', () => {
    expect(negotiate(parseAudioDescription(offer('m=audio 4000 RTP/AVP 0', '', '0.0.0.0'))).weSend).toBe(false);
  });

  it('refuses an offer with no codec in common, no audio, or no address', () => {
    expect(() => negotiate(parseAudioDescription(offer('m=audio 4000 RTP/AVP 18', 'a=rtpmap:18 G729/8000\r\n')))).toThrow(/none of G729/);
    expect(() => parseAudioDescription(offer('m=video 4000 RTP/AVP 96'))).toThrow(/no audio stream/);
    expect(() => parseAudioDescription('v=0\r\nm=audio 4000 RTP/AVP 0\r\n')).toThrow(/no connection address/);
    expect(() => parseAudioDescription(offer('m=audio 4000 RTP/AVP x y'))).toThrow(/payload/);
  });

  it('offers PCMU, PCMA and telephone-event', () => {
    const parsed = sdpTransform.parse(writeOffer({ address: '127.0.0.1', port: 20002, sessionId: 1, version: 1 }));
    expect(parsed.media[0]!.payloads).toBe('0 8 101');
    expect(parsed.media[0]!.rtp.map((r) => r.codec)).toEqual(['PCMU', 'PCMA', 'telephone-event']);
  });
});
