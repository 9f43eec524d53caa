import { describe, expect, it } from 'vitest';
import { MessageStatus } from '../../../../src/sms/message.js';
import { receiptStateFor, smppReceiptNotifier } from '../../../../src/sms/smpp-server/receipts.js';
import type { NewDelivery } from '../../../../src/sms/smpp-server/ports.js';
import { storedMessage } from '../../../support/stored-message.js';

const sent = { submittedAt: 1000, errorCode: null };

describe('which receipt an SMPP client gets (registered_delivery, SMPP 3.4 §5.2.17)', () => {
  it('01: every final outcome; 10: failures only; 11: successes only; 00: none', () => {
    const delivered = { ...sent, status: MessageStatus.Delivered };
    const failed = { ...sent, status: MessageStatus.Failed };
    expect(receiptStateFor(delivered, 0x01)?.stat).toBe('DELIVRD');
    expect(receiptStateFor(failed, 0x01)?.stat).toBe('UNDELIV');
    expect(receiptStateFor(delivered, 0x02)).toBeNull();
    expect(receiptStateFor(failed, 0x02)?.stat).toBe('UNDELIV');
    expect(receiptStateFor(delivered, 0x03)?.stat).toBe('DELIVRD');
    expect(receiptStateFor(failed, 0x03)).toBeNull();
    expect(receiptStateFor(delivered, 0x00)).toBeNull();
  });

  it('says REJECTD for a message no carrier took, DELETED for a cancelled one, and ENROUTE only when bit 4 asks', () => {
    expect(receiptStateFor({ status: MessageStatus.Failed, submittedAt: null, errorCode: 'TN_ERR_ROUTE_NOT_FOUND' }, 1)?.stat).toBe('REJECTD');
    expect(receiptStateFor({ status: MessageStatus.Failed, submittedAt: null, errorCode: 'TN_ERR_MESSAGE_CANCELLED' }, 1)?.stat).toBe('DELETED');
    expect(receiptStateFor({ ...sent, status: MessageStatus.Buffered }, 0x01)).toBeNull();
    expect(receiptStateFor({ ...sent, status: MessageStatus.Buffered }, 0x11)?.stat).toBe('ENROUTE');
    expect(receiptStateFor({ ...sent, status: MessageStatus.Expired }, 1)?.state).toBe(3);
    expect(receiptStateFor({ ...sent, status: MessageStatus.Unknown }, 1)?.state).toBe(7);
  });
});

describe('the receipt notifier', () => {
  it('queues one receipt per part the client sent, each naming its part id, for SMPP messages only', async () => {
    const queued: NewDelivery[] = [];
    const notify = smppReceiptNotifier({ enqueue: async (d) => void queued.push(d) }, () => 5000);
    const message = storedMessage({
      id: 'm1',
      dialect: 'smpp',
      user: 'crm',
      status: MessageStatus.Delivered,
      submittedAt: 1000,
      doneAt: 2000,
      meta: { smpp: { parts: 3, registeredDelivery: 1 } },
    });
    await notify(message, MessageStatus.Submitted);
    expect(queued.map((d) => d.fields['receipted_message_id'])).toEqual(['m1.1', 'm1.2', 'm1.3']);
    expect(queued.every((d) => d.systemId === 'crm' && d.orderKey === 'm1')).toBe(true);
    expect(String(queued[0]!.fields['short_message'])).toMatch(/^id:m1\.1 sub:001 dlvrd:001 submit date:\d{10} done date:\d{10} stat:DELIVRD err:000 text:/);
    await notify({ ...message, dialect: 'ozeki' }, MessageStatus.Submitted);
    expect(queued).toHaveLength(3);
  });
});
