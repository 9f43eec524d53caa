import { describe, expect, it } from 'vitest';
import { isThrottling, statusName, submitError } from '../../../../../src/sms/connectors/smpp/status-codes.js';
import { smppAddress } from '../../../../../src/sms/connectors/smpp/addressing.js';

describe('SMPP command_status handling', () => {
  it('treats ESME_RTHROTTLED and ESME_RMSGQFUL as throttling', () => {
    expect(isThrottling(0x58)).toBe(true);
    expect(isThrottling(0x14)).toBe(true);
    expect(submitError(0x58)).toMatchObject({ code: 'TN_ERR_SMPP_THROTTLED', retryable: true, protocolStatus: 0x58 });
  });

  it('retries the SMSC own trouble and keeps the status of a permanent refusal', () => {
    expect(submitError(0x08)).toMatchObject({ retryable: true, protocolStatus: 0x08 });
    const permanent = submitError(0x0b);
    expect(permanent).toMatchObject({ code: 'TN_ERR_SMPP_REJECTED', retryable: false, protocolStatus: 0x0b });
    expect(permanent.message).toContain('ESME_RINVDSTADR');
    expect(statusName(0x1234)).toBe('0x00001234');
  });
});

describe('SMPP addressing', () => {
  it('derives TON/NPI from how the address is written', () => {
    expect(smppAddress('+36 30 123-4567')).toEqual({ addr: '36301234567', ton: 1, npi: 1 });
    expect(smppAddress('0036301234567')).toEqual({ addr: '36301234567', ton: 1, npi: 1 });
    expect(smppAddress('1234')).toEqual({ addr: '1234', ton: 0, npi: 1 });
    expect(smppAddress('ACME Bank')).toEqual({ addr: 'ACME Bank', ton: 5, npi: 0 });
  });

  it('lets config override TON and NPI', () => {
    expect(smppAddress('1234', 3, 9)).toEqual({ addr: '1234', ton: 3, npi: 9 });
  });
});
