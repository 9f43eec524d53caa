import { describe, expect, it } from 'vitest';
import { normalizeCarrierId, receiptFormOf, submitFormOf } from '../../../src/sms/carrier-id.js';
import { CarrierIdConvention } from '../../../src/sms/carrier-id-convention.js';

describe('carrier message ids', () => {
  it('normalises case, padding and space', () => {
    expect(normalizeCarrierId(' 00AbC1 ')).toBe('abc1');
    expect(normalizeCarrierId('0')).toBe('0');
  });

  it('reads a receipt id under one relation only', () => {
    // submit_sm_resp said 1A2B (hex); the receipt text says 6699 (decimal).
    expect(submitFormOf('6699', 'hex')).toBe(normalizeCarrierId('1A2B'));
    expect(receiptFormOf('1A2B', 'hex')).toBe('6699');
    // submit_sm_resp said 6699 (decimal); the receipt quotes 1A2B.
    expect(submitFormOf('1A2B', 'decimal')).toBe('6699');
    expect(receiptFormOf('6699', 'decimal')).toBe('1a2b');
    expect(submitFormOf('0000012345', 'string')).toBe('12345');
    expect(submitFormOf('msg-77f1-x', 'hex')).toBeNull();
    expect(submitFormOf('1a', 'hex')).toBeNull();
  });
});

describe('carrier id convention', () => {
  it('learns a relation from three agreeing receipts, and not from contradicting ones', () => {
    const learned: string[] = [];
    const auto = new CarrierIdConvention('auto', (r) => learned.push(r));
    auto.observe('hex');
    auto.observe('hex');
    expect(auto.relation).toBeNull();
    auto.observe('hex');
    expect(auto.relation).toBe('hex');
    expect(learned).toEqual(['hex']);

    const torn = new CarrierIdConvention('auto');
    for (const r of ['string', 'hex', 'string', 'string', 'string'] as const) torn.observe(r);
    expect(torn.relation).toBeNull();
  });

  it('uses a configured relation from the start', () => {
    expect(new CarrierIdConvention('decimal').relation).toBe('decimal');
  });
});
