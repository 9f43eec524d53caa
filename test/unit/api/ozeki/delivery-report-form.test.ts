import { describe, expect, it } from 'vitest';
import { deliveryReportForm } from '../../../../src/api/ozeki/notifications.js';
import { MessageStatus, type StoredMessage } from '../../../../src/sms/message.js';
import { storedMessage } from '../../../support/stored-message.js';

/** The form as the generic serializer writes the documented fields (docs/messages.md, "Callbacks"), in their order. */
function reference(message: StoredMessage, statusWord: string): string {
  const iso = (ms: number | null): string => (ms === null ? '' : new Date(ms).toISOString());
  const fields: Array<[string, string]> = [
    ['NotificationName', 'SMSDeliveryReport'],
    ['SmsId', message.id],
    ['Sender', message.sender],
    ['Recipient', message.recipient],
    ['Status', statusWord],
    ['DeliveryStatus', message.status],
    ['Delivered', String(message.status === MessageStatus.Delivered)],
    ['CarrierStatus', message.carrierStatus ?? ''],
    ['CarrierError', message.carrierError ?? ''],
    ['ErrorCode', message.errorCode ?? ''],
    ['ErrorText', message.errorText ?? ''],
    ['Parts', String(message.partsEstimate)],
    ['Connector', message.connectorId ?? ''],
    ['AcceptedAt', iso(message.createdAt)],
    ['SubmittedAt', iso(message.submittedAt)],
    ['DoneAt', iso(message.doneAt)],
  ];
  if (message.possibleDuplicate) fields.push(['PossibleDuplicate', 'true']);
  return new URLSearchParams(fields).toString();
}

describe('deliveryReportForm', () => {
  it('writes what URLSearchParams writes for a delivered message', () => {
    const message = storedMessage({
      id: '019aef12-3456-7abc-8def-0123456789ab',
      status: MessageStatus.Delivered,
      connectorId: 'smpp-1',
      carrierStatus: 'DELIVRD',
      carrierError: '000',
      partsEstimate: 2,
      createdAt: Date.UTC(2026, 11, 6, 9, 5, 7, 8),
      submittedAt: Date.UTC(2026, 11, 6, 9, 5, 7, 90),
      doneAt: Date.UTC(2026, 11, 6, 9, 5, 8, 123),
    });
    expect(deliveryReportForm(message)).toBe(reference(message, 'delivered'));
  });

  it('escapes what needs escaping in every value: spaces, reserved characters, letters outside ASCII', () => {
    const message = storedMessage({
      id: 'id with space & more',
      sender: 'Bank (Ltd)!',
      recipient: '+36 20 123~4567',
      status: MessageStatus.Failed,
      connectorId: 'modem/ü',
      carrierStatus: 'UNDELIV',
      errorCode: 'E:42',
      errorText: 'Árvíztűrő tükörfúrógép 😀 = 100%',
      createdAt: 0,
      submittedAt: null,
      doneAt: Date.UTC(1999, 0, 1, 23, 59, 59, 999),
      possibleDuplicate: true,
    });
    expect(deliveryReportForm(message)).toBe(reference(message, 'notsent'));
  });

  it('leaves out PossibleDuplicate unless a part may have gone out twice', () => {
    const message = storedMessage({ id: 'm1', status: MessageStatus.Submitted });
    expect(deliveryReportForm(message)).toBe(reference(message, 'sent'));
    expect(deliveryReportForm(message)).not.toContain('PossibleDuplicate');
  });
});
