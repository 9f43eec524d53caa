/** Voximplant's A2P delivery_status words for our statuses: refused before the network vs. after it. */
import { describe, expect, it } from 'vitest';
import { deliveryStatusOf } from '../../../../src/api/voximplant/history.js';
import { MessageStatus } from '../../../../src/sms/message.js';

describe('Voximplant delivery_status', () => {
  it('a message that expired after the carrier took it is EXPIRED (7); one that expired in our queue is ABORTED (3)', () => {
    expect(deliveryStatusOf({ status: MessageStatus.Expired, submittedAt: 1000 })).toBe('EXPIRED');
    expect(deliveryStatusOf({ status: MessageStatus.Expired, submittedAt: null })).toBe('ABORTED');
  });

  it('a failed receipt is FAILED; a submission the carrier or we refused is REJECTED', () => {
    expect(deliveryStatusOf({ status: MessageStatus.Failed, submittedAt: 1000 })).toBe('FAILED');
    expect(deliveryStatusOf({ status: MessageStatus.Failed, submittedAt: null })).toBe('REJECTED');
  });

  it('queued, dispatched, delivered and unknown need no distinction', () => {
    expect(deliveryStatusOf({ status: MessageStatus.Accepted, submittedAt: null })).toBe('QUEUED');
    expect(deliveryStatusOf({ status: MessageStatus.Submitted, submittedAt: 1 })).toBe('DISPATCHED');
    expect(deliveryStatusOf({ status: MessageStatus.Delivered, submittedAt: 1 })).toBe('DELIVERED');
    expect(deliveryStatusOf({ status: MessageStatus.Unknown, submittedAt: 1 })).toBe('UNKNOWN');
  });
});
