import { describe, expect, it } from 'vitest';
import { classifyIncoming } from '../../../../../src/sms/connectors/smpp/incoming.js';
import type { Pdu } from '../../../../../src/sms/connectors/smpp/smpp-lib.js';

const receipt = (id: string) =>
  ({
    command: 'deliver_sm',
    esm_class: 0x04,
    receipted_message_id: id,
    message_state: 2,
    short_message: Buffer.from(`id:${id} stat:DELIVRD err:000`),
  }) as unknown as Pdu;
const mo = (from: string, to: string) =>
  ({ command: 'deliver_sm', esm_class: 0, source_addr: from, destination_addr: to, short_message: Buffer.from('hi') }) as unknown as Pdu;

describe('what an SMSC sends, bounded (SMPP 3.4 §4.6.1, §5.3.2.12)', () => {
  it('takes a receipt with an id of a usual length, refuses one kilobytes long', () => {
    expect(classifyIncoming('c', receipt('0A1B2C3D'), 0)).toMatchObject({ kind: 'receipt', event: { carrierId: '0A1B2C3D' } });
    expect(classifyIncoming('c', receipt('7'.repeat(4000)), 0)).toEqual({ kind: 'invalid', reason: 'receipted message id of 4000 characters' });
  });

  it('takes an SMS with addresses somewhat past the 20 characters SMPP allows, refuses one kilobytes long', () => {
    expect(classifyIncoming('c', mo('+36201234567', 'ShortCode-Alpha-1234567890'), 0)).toMatchObject({ kind: 'inbound' });
    expect(classifyIncoming('c', mo('+36201234567', '9'.repeat(5000)), 0)).toEqual({ kind: 'invalid', reason: 'destination_addr of 5000 characters' });
    expect(classifyIncoming('c', mo('x'.repeat(65), '+3612000100'), 0)).toEqual({ kind: 'invalid', reason: 'source_addr of 65 characters' });
  });
});
