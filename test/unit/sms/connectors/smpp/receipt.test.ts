import { describe, expect, it } from 'vitest';
import { isReceiptEsmClass, parseReceiptDate, parseReceiptText, toReceiptEvent } from '../../../../../src/sms/connectors/smpp/receipt.js';

describe('SMPP delivery receipts', () => {
  it('parses the SMPP 3.4 Appendix B receipt text', () => {
    const text = 'id:0123456789 sub:001 dlvrd:001 submit date:2611221504 done date:2611221505 stat:DELIVRD err:000 text:Hello world';
    expect(parseReceiptText(text)).toEqual({
      id: '0123456789',
      sub: '001',
      dlvrd: '001',
      submitDate: Date.UTC(2026, 10, 22, 15, 4),
      doneDate: Date.UTC(2026, 10, 22, 15, 5),
      stat: 'DELIVRD',
      err: '000',
      text: 'Hello world',
    });
  });

  it('tolerates lower case, extra spaces, seconds in dates and missing fields', () => {
    const parsed = parseReceiptText('id: 1A2B3C  stat: undeliv   done date:261122150530');
    expect(parsed).toMatchObject({ id: '1A2B3C', stat: 'UNDELIV', err: null, sub: null, doneDate: Date.UTC(2026, 10, 22, 15, 5, 30) });
    expect(parseReceiptDate('26112215')).toBeNull();
  });

  it('prefers the receipted_message_id and message_state TLVs over the text', () => {
    const event = toReceiptEvent('c1', { receiptedMessageId: 'abc', messageState: 5, text: 'id:zzz stat:DELIVRD err:000' });
    expect(event).toMatchObject({ carrierId: 'abc', stat: 'UNDELIV', status: 'failed', err: '000' });
  });

  it('maps every final and intermediate state', () => {
    const status = (stat: string) => toReceiptEvent('c', { text: `id:1 stat:${stat}` })!.status;
    expect(status('DELIVRD')).toBe('delivered');
    expect(status('EXPIRED')).toBe('expired');
    expect(status('UNDELIV')).toBe('failed');
    expect(status('REJECTD')).toBe('failed');
    expect(status('DELETED')).toBe('failed');
    expect(status('ENROUTE')).toBe('buffered');
    expect(status('ACCEPTD')).toBe('buffered');
    expect(status('UNKNOWN')).toBe('buffered');
  });

  it('refuses a receipt with no id anywhere', () => {
    expect(toReceiptEvent('c', { text: 'stat:DELIVRD' })).toBeNull();
  });

  it('recognises receipts by esm_class bits 5-2, not by the UDHI bit', () => {
    expect(isReceiptEsmClass(0x04)).toBe(true);
    expect(isReceiptEsmClass(0x20)).toBe(true);
    expect(isReceiptEsmClass(0x00)).toBe(false);
    expect(isReceiptEsmClass(0x40)).toBe(false);
  });
});
