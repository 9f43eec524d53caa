import { describe, expect, it } from 'vitest';
import { reasonPhrase } from '../../../../src/voice/sip/reason-phrases.js';

describe('SIP reason phrases', () => {
  it('are the RFC 3261 §21 phrases for the codes a script or the engine chooses', () => {
    expect([486, 404, 603, 480, 488].map((s) => `${s} ${reasonPhrase(s)}`)).toEqual([
      '486 Busy Here',
      '404 Not Found',
      '603 Decline',
      '480 Temporarily Unavailable',
      '488 Not Acceptable Here',
    ]);
    expect(reasonPhrase(499)).toBe('Request Failed');
  });
});
