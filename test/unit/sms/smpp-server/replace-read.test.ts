/**
 * What a client's replace_sm asks for (src/sms/smpp-server/replace-read.ts): its text in the message's own
 * data_coding, NULL times that keep the old ones, and the command_status for what is not well formed.
 */
import { describe, expect, it } from 'vitest';
import { encodeUcs2 } from '../../../../src/sms/encoding/index.js';
import { SmppStatus } from '../../../../src/sms/connectors/smpp/status-codes.js';
import type { Pdu } from '../../../../src/sms/connectors/smpp/smpp-lib.js';
import { readReplace } from '../../../../src/sms/smpp-server/replace-read.js';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const ucs2Message = { parts: 0, registeredDelivery: 1, dataCoding: 8 };
/** A decoded replace_sm, as node-smpp hands it over (times as the wire's strings). */
const replaceSm = (fields: Record<string, unknown>) => ({ command: 'replace_sm', ...fields }) as unknown as Pdu;

describe('readReplace', () => {
  it("reads the new text in the message's own data_coding and the times it gives", () => {
    const change = readReplace(
      replaceSm({ short_message: encodeUcs2('Áthelyezve'), schedule_delivery_time: '000000010000000R', validity_period: '261207180000000+' }),
      ucs2Message,
      NOW,
    );
    expect(change).toEqual({
      text: 'Áthelyezve',
      sendAt: NOW + 3_600_000,
      expiresAt: Date.UTC(2026, 11, 7, 18, 0, 0),
      meta: { smpp: { parts: 0, registeredDelivery: 0, dataCoding: 8 } },
    });
  });

  it('keeps the text for an empty short_message and the times for NULL ones; registered_delivery is replaced', () => {
    const change = readReplace(replaceSm({ short_message: Buffer.alloc(0), registered_delivery: 17 }), ucs2Message, NOW);
    expect(change).toEqual({ meta: { smpp: { parts: 0, registeredDelivery: 17, dataCoding: 8 } } });
  });

  it('answers what is not well formed with its status', () => {
    const status = (fields: Record<string, unknown>) => (readReplace(replaceSm(fields), ucs2Message, NOW) as { status?: number }).status;
    expect(status({ short_message: Buffer.from([0x00, 0x41, 0x00]) })).toBe(SmppStatus['ESME_RINVMSGLEN']);
    expect(status({ schedule_delivery_time: 'tomorrow' })).toBe(SmppStatus['ESME_RINVSCHED']);
    expect(status({ validity_period: '261307180000000+' })).toBe(SmppStatus['ESME_RINVEXPIRY']); // month 13
  });
});
