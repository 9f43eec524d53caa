import { describe, expect, it } from 'vitest';
import {
  decodePdu,
  encodeSubmitPdu,
  relativeValidity,
  reportOutcome,
  validityMinutes,
  type DecodedDeliver,
  type DecodedStatusReport,
  type DecodedSubmit,
} from '../../../../../src/sms/connectors/modem/pdu/index.js';
import { decodeAddress, encodeAddress } from '../../../../../src/sms/connectors/modem/pdu/semi-octets.js';
import { decodeGsm7, encodeGsm7, encodeUcs2, planSegments } from '../../../../../src/sms/encoding/index.js';
import { AppError } from '../../../../../src/shared/errors.js';

describe('SMS-SUBMIT encoding', () => {
  it('matches the published "hellohello" SMS-SUBMIT vector byte for byte', () => {
    // dreamfabric.com/sms: to +46708251358, relative validity 4 days (0xAA), 7-bit "hellohello".
    const encoded = encodeSubmitPdu({
      recipient: '+46708251358',
      dataCoding: 0,
      payload: encodeGsm7('hellohello'),
      messageReference: 0,
      statusReport: false,
      validityMinutes: 4 * 1440,
    });
    expect(encoded.hex).toBe('0011000B916407281553F80000AA0AE8329BFD4697D9EC37');
    // AT+CMGS=<length> counts the TPDU only, not the SMSC octet (27.005 §3.5.1).
    expect(encoded.tpduLength).toBe(encoded.hex.length / 2 - 1);
  });

  it('sets TP-SRR and TP-MR, and writes an explicit SMSC address', () => {
    const encoded = encodeSubmitPdu({
      recipient: '+36301234567',
      dataCoding: 0,
      payload: encodeGsm7('x'),
      messageReference: 0x2a,
      statusReport: true,
      smsc: '+36209300099',
    });
    expect(encoded.hex.startsWith('07916302390090F9')).toBe(true);
    const decoded = decodePdu(encoded.hex) as DecodedSubmit;
    expect(decoded).toMatchObject({ type: 'submit', messageReference: 0x2a, statusReport: true, recipient: { number: '+36301234567', toa: 0x91 } });
    expect(encoded.tpduLength).toBe(encoded.hex.length / 2 - 8);
  });

  it('packs 7-bit text after a concatenation UDH with one fill bit, extension characters intact', () => {
    const text = 'a'.repeat(150) + '€{}';
    const part = planSegments(text, { concat: 'udh8' }).parts[0]!;
    const encoded = encodeSubmitPdu({
      recipient: '+36301234567',
      dataCoding: 0,
      payload: part.payload,
      concat: { reference: 7, total: 2, seq: 1, sixteenBit: false },
      messageReference: 1,
      statusReport: true,
    });
    const decoded = decodePdu(encoded.hex) as DecodedSubmit;
    expect(decoded.udh!.concat).toEqual({ reference: 7, total: 2, seq: 1, sixteenBit: false });
    expect(decodeGsm7(decoded.payload)).toBe(part.text);
    // TP-UDL counts septets: 7 for the 6-octet UDH plus its fill bit, then the text.
    const udl = Buffer.from(encoded.hex, 'hex')[encoded.hex.length / 2 - 1 - Math.ceil(((7 + part.payload.length) * 7) / 8)];
    expect(udl).toBe(7 + part.payload.length);
    expect(encoded.tpduLength).toBeLessThanOrEqual(176);
  });

  it('round-trips UCS-2 with a 16-bit reference', () => {
    const payload = encodeUcs2('Привет 😀');
    const encoded = encodeSubmitPdu({
      recipient: '1234',
      dataCoding: 8,
      payload,
      concat: { reference: 0xbeef, total: 3, seq: 2, sixteenBit: true },
      messageReference: 255,
      statusReport: false,
    });
    const decoded = decodePdu(encoded.hex) as DecodedSubmit;
    expect(decoded.recipient).toEqual({ number: '1234', toa: 0x81 });
    expect(decoded.udh!.concat).toEqual({ reference: 0xbeef, total: 3, seq: 2, sixteenBit: true });
    expect(decoded.payload).toEqual(payload);
  });

  it('rounds validity periods up to what TP-VP can say', () => {
    expect(relativeValidity(5)).toBe(0);
    expect(relativeValidity(720)).toBe(143);
    expect(relativeValidity(24 * 60)).toBe(167);
    expect(relativeValidity(2 * 1440)).toBe(168);
    expect(relativeValidity(5 * 7 * 1440)).toBe(197);
    for (const m of [7, 300, 800, 3000, 50_000]) expect(validityMinutes(relativeValidity(m))).toBeGreaterThanOrEqual(m);
  });

  it('refuses a TP-MR outside 0..255', () => {
    expect(() => encodeSubmitPdu({ recipient: '1', dataCoding: 0, payload: encodeGsm7('x'), messageReference: 256, statusReport: false })).toThrowError(
      AppError,
    );
  });
});

describe('SMS-DELIVER and SMS-STATUS-REPORT decoding', () => {
  it('decodes the published "hellohello" SMS-DELIVER vector', () => {
    const pdu = decodePdu('07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37') as DecodedDeliver;
    expect(pdu).toMatchObject({ type: 'deliver', smsc: '+27381000015', sender: { number: '27838890001' }, dataCoding: 0, text: 'hellohello' });
    // SCTS 99-03-29 15:16:59 at +2 h (zone octet 80 → 8 quarters); "99" is 1999, the century nearest to now.
    expect(pdu.sentAt.zoneMinutes).toBe(120);
    expect(new Date(pdu.sentAt.utcMs).toISOString()).toBe('1999-03-29T13:16:59.000Z');
  });

  it('reads alphanumeric originators', () => {
    for (const name of ['Telenode', 'ACME Bank', 'a']) {
      const encoded = encodeAddress(name);
      expect(decodeAddress(encoded, 0).address).toEqual({ number: name, toa: 0xd0 });
    }
  });

  it('reads a time zone west of Greenwich (sign in bit 3 of the zone octet)', () => {
    // SCTS 26-11-22 10:00:00, zone -20 quarters: semi-octets swapped, 0x0A = tens 2 with the sign bit, units 0.
    const hex = '00' + '04' + '0B916407281553F8' + '0000' + '621122010000' + '0A' + '01' + '41';
    const pdu = decodePdu(hex) as DecodedDeliver;
    expect(pdu.sentAt.zoneMinutes).toBe(-300);
    expect(new Date(pdu.sentAt.utcMs).toISOString()).toBe('2026-11-22T15:00:00.000Z');
    expect(pdu.text).toBe('A');
  });

  it('decodes a status report and classifies TP-ST', () => {
    // Submitted 26-11-22 10:05:00 +02:00, discharged 10:06:00 +02:00 (each field's two digits swapped).
    const hex = '00' + '06' + '0D' + '0B916407281553F8' + '62112201500080' + '62112201600080' + '00';
    const report = decodePdu(hex) as DecodedStatusReport;
    expect(report).toMatchObject({
      type: 'status-report',
      smsc: null,
      messageReference: 13,
      recipient: { number: '+46708251358' },
      status: 0,
      outcome: 'delivered',
    });
    expect(new Date(report.sentAt.utcMs).toISOString()).toBe('2026-11-22T08:05:00.000Z');
    expect(new Date(report.dischargedAt.utcMs).toISOString()).toBe('2026-11-22T08:06:00.000Z');
    expect(reportOutcome(0x20)).toBe('trying');
    expect(reportOutcome(0x41)).toBe('failed');
    expect(reportOutcome(0x62)).toBe('failed');
    // TS 23.040 §9.2.3.15: 0x03-0x1F are 'transaction completed' (reserved or SC-specific), not failures; 0x46 is expiry
    expect([0x03, 0x10, 0x1f].map(reportOutcome)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(reportOutcome(0x46)).toBe('expired');
    expect(reportOutcome(0x47)).toBe('failed');
  });

  it('refuses truncated and non-hex PDUs with a typed error', () => {
    expect(() => decodePdu('07917283010010F5040BC872388809')).toThrowError(/PDU too short/);
    expect(() => decodePdu('zz')).toThrowError(AppError);
    expect(() => decodePdu('0')).toThrowError(/even-length hex/);
  });
});

describe('network-side encoders (for the modem simulator)', () => {
  it('re-encodes the published SMS-DELIVER vector from its decoded fields', async () => {
    const { encodeDeliverPdu } = await import('../../../../../src/sms/connectors/modem/pdu/index.js');
    const hex = '07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37';
    const pdu = decodePdu(hex) as DecodedDeliver;
    const again = encodeDeliverPdu({
      smsc: '+27381000015',
      sender: '27838890001',
      dataCoding: 0,
      payload: pdu.payload,
      sentAt: pdu.sentAt.utcMs,
      zoneMinutes: 120,
    });
    // Same except the originator's type of address: we write 0x81 (unknown/ISDN) for plain digits where the vector has 0xC8.
    expect(again).toBe(hex.replace('0BC8', '0B81'));
  });

  it('round-trips a concatenated UCS-2 deliver and a failed status report', async () => {
    const { encodeDeliverPdu, encodeStatusReportPdu } = await import('../../../../../src/sms/connectors/modem/pdu/index.js');
    const payload = encodeUcs2('Szia! 😀');
    const deliver = decodePdu(
      encodeDeliverPdu({
        sender: 'Telenode',
        dataCoding: 8,
        payload,
        concat: { reference: 9, total: 2, seq: 2, sixteenBit: false },
        sentAt: Date.UTC(2026, 10, 22, 12, 0, 0),
        zoneMinutes: -300,
      }),
    ) as DecodedDeliver;
    expect(deliver).toMatchObject({
      sender: { number: 'Telenode', toa: 0xd0 },
      text: 'Szia! 😀',
      sentAt: { zoneMinutes: -300, utcMs: Date.UTC(2026, 10, 22, 12, 0, 0) },
    });
    expect(deliver.udh!.concat).toEqual({ reference: 9, total: 2, seq: 2, sixteenBit: false });
    const report = decodePdu(
      encodeStatusReportPdu({ messageReference: 200, recipient: '+36301234567', sentAt: 0, dischargedAt: Date.UTC(2026, 0, 1), status: 0x41 }),
    ) as DecodedStatusReport;
    expect(report).toMatchObject({ messageReference: 200, recipient: { number: '+36301234567' }, status: 0x41, outcome: 'failed' });
  });
});
