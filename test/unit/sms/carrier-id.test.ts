import { describe, expect, it } from 'vitest';
import { carrierIdCandidates, normalizeCarrierId } from '../../../src/sms/carrier-id.js';

describe('carrier message ids', () => {
  it('normalises case, padding and space', () => {
    expect(normalizeCarrierId(' 00AbC1 ')).toBe('abc1');
    expect(normalizeCarrierId('0')).toBe('0');
  });

  it('finds a hex submit id from a decimal receipt id and back', () => {
    // submit_sm_resp said 1A2B (hex); the receipt text says 6699 (decimal).
    expect(carrierIdCandidates('6699')).toContain(normalizeCarrierId('1A2B'));
    expect(carrierIdCandidates('1A2B')).toContain('6699');
  });

  it('matches zero-padded receipt ids', () => {
    expect(carrierIdCandidates('0000012345')).toContain('12345');
  });

  it('keeps non-numeric ids as they are', () => {
    expect(carrierIdCandidates('msg-77f1-x')).toEqual(['msg-77f1-x']);
  });
});
