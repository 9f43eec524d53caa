/** Where the Call command dials: numbers through the configured trunk, SIP URIs as given. */
import { describe, expect, it } from 'vitest';
import { OzmlCallApi } from '../../../../src/voice/ozml/call-api.js';
import type { CallService } from '../../../../src/voice/calls.js';
import type { OzmlHandlerDeps } from '../../../../src/voice/ozml/ozml-handler.js';

function api(uri: string | null) {
  const trunk = uri === null ? null : { id: 'pbx', uri, auth: null };
  return new OzmlCallApi({} as CallService, {} as OzmlHandlerDeps, { trunk, callerId: 'telenode', ringSeconds: 60 }, null);
}

describe('OzmlCallApi.target', () => {
  it('puts a dialled number in front of the trunk, keeping its + and the trunk parameters', () => {
    expect(api('sip:pbx.example.com:5070;transport=tcp').target('+3612345678')).toBe('sip:+3612345678@pbx.example.com:5070;transport=tcp');
    expect(api('sips:pbx.example.com').target(' 1001 ')).toBe('sips:1001@pbx.example.com');
  });

  it('dials a SIP URI as it is, and refuses a number when no trunk is configured', () => {
    expect(api(null).target('sip:1001@10.0.0.5:5062')).toBe('sip:1001@10.0.0.5:5062');
    expect(() => api(null).target('1001')).toThrow(/voice.outbound.trunk/);
  });
});
