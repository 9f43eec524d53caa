import { describe, expect, it } from 'vitest';
import {
  formatTextTimestamp,
  parseTextRead,
  parseTextTimestamp,
  splitFields,
  textModeRefusal,
  textModeSubmit,
} from '../../../../../src/sms/connectors/modem/text-mode.js';
import { encodeGsm7, encodeUcs2 } from '../../../../../src/sms/encoding/index.js';
import type { SubmitPart } from '../../../../../src/sms/connectors/connector.js';

function part(text: string, overrides: Partial<SubmitPart> = {}): SubmitPart {
  return {
    messageId: 'm',
    partNo: 1,
    partsTotal: 1,
    sender: 's',
    recipient: '+36301234567',
    dataCoding: 0,
    payload: encodeGsm7(text),
    concat: null,
    wantReceipt: true,
    validUntil: null,
    ...overrides,
  };
}

describe('text mode', () => {
  it('sends printable ASCII that GSM has, line breaks included', () => {
    expect(textModeRefusal(part('Code 1234: ok? @home, 50% off (today) $5 #1 a_b "x" \'y\' <=>+*/-.;:!&\nbye'))).toBeNull();
  });

  it('refuses what text mode cannot say: extension characters, accents, UCS-2 and concatenated parts', () => {
    for (const ch of ['[', ']', '{', '}', '\\', '^', '~', '|', '€', 'é', '£', '¿']) expect(textModeRefusal(part(`a${ch}b`)), ch).toMatch(/printable ASCII/);
    expect(textModeRefusal(part('x', { dataCoding: 8, payload: encodeUcs2('Привет') }))).toMatch(/UCS-2/);
    expect(textModeRefusal(part('x', { partsTotal: 2 }))).toMatch(/concatenated/);
  });

  it('builds AT+CSMP with TP-SRR and validity, and AT+CMGS with the type of address', () => {
    const now = Date.UTC(2026, 10, 22);
    expect(textModeSubmit(part('hi'), now)).toEqual({ csmp: 'AT+CSMP=49,167,0,0', command: 'AT+CMGS="+36301234567",145', body: 'hi' });
    const local = textModeSubmit(part('a\nb', { recipient: '06 30 123', wantReceipt: false, validUntil: now + 60 * 60_000 }), now);
    expect(local).toEqual({ csmp: 'AT+CSMP=17,11,0,0', command: 'AT+CMGS="0630123",129', body: 'a\rb' });
    expect(() => textModeSubmit(part('€'))).toThrowError(expect.objectContaining({ code: 'TN_ERR_MODEM_TEXT_MODE', retryable: false }));
  });

  it('reads a text-mode SMS-DELIVER and a status report (27.005 §4.1 without details)', () => {
    expect(parseTextRead(['+CMGR: "REC UNREAD","+36709876543",,"26/11/22,10:00:00+04"', 'Hello,', 'second line'])).toEqual({
      type: 'deliver',
      sender: '+36709876543',
      sentAt: Date.UTC(2026, 10, 22, 9, 0, 0),
      text: 'Hello,\nsecond line',
    });
    expect(parseTextRead(['+CMGR: "REC READ",6,17,"+36301234567",145,"26/11/22,10:00:00-08","26/11/22,10:05:00-08",0'])).toEqual({
      type: 'status-report',
      messageReference: 17,
      recipient: '+36301234567',
      sentAt: Date.UTC(2026, 10, 22, 12, 0, 0),
      dischargedAt: Date.UTC(2026, 10, 22, 12, 5, 0),
      status: 0,
    });
    // A stored outgoing message is not something we received.
    expect(parseTextRead(['+CMGR: "STO UNSENT","+3630",', 'draft'])).toBeNull();
    expect(parseTextRead(['garbage'])).toBeNull();
  });

  it('keeps commas inside quotes, and round-trips time stamps with zones', () => {
    expect(splitFields(' "REC UNREAD","+36 70",,"26/11/22,10:00:00+04"')).toEqual(['REC UNREAD', '+36 70', '', '26/11/22,10:00:00+04']);
    const at = Date.UTC(2026, 0, 31, 23, 59, 59);
    for (const zone of [0, 60, -300, 345]) expect(parseTextTimestamp(formatTextTimestamp(at, zone))).toBe(at);
    expect(parseTextTimestamp('not a time')).toBeNull();
  });
});
