import { describe, expect, it } from 'vitest';
import { signallingHosts } from '../../../src/voice/call-session.js';
import type { CallInfo } from '../../../src/voice/sip/call-control.js';

const party = { uri: 'sip:1@x', user: '1', displayName: null };
const call = (direction: CallInfo['direction'], source: string): CallInfo => ({
  id: 'c1',
  sipCallId: 'x',
  direction,
  from: party,
  to: party,
  source,
  headers: {},
});

describe('signallingHosts: the host besides the SDP a call takes RTP from', () => {
  it("is an inbound call's signalling source host, IPv4 or IPv6, over any transport", () => {
    expect(signallingHosts(call('inbound', 'udp:203.0.113.5:5060'))).toEqual(['203.0.113.5']);
    expect(signallingHosts(call('inbound', 'tcp:2001:db8::7:5061'))).toEqual(['2001:db8::7']);
  });

  it("is an outbound call's target when dialled by address, IPv4 or IPv6", () => {
    expect(signallingHosts(call('outbound', 'udp:192.0.2.10'))).toEqual(['192.0.2.10']);
    expect(signallingHosts(call('outbound', 'tcp:[2001:db8::10]'))).toEqual(['2001:db8::10']);
  });

  it('is none for an outbound call dialled by name or through drachtio, or a source without a host', () => {
    expect(signallingHosts(call('outbound', 'udp:pbx.example.com'))).toEqual([]);
    expect(signallingHosts(call('outbound', 'drachtio:sip:100@192.0.2.10'))).toEqual([]);
    expect(signallingHosts(call('inbound', 'udp:'))).toEqual([]);
    expect(signallingHosts(call('inbound', 'garbage'))).toEqual([]);
  });
});
