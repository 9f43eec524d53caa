/**
 * Our PDU decoder against published vectors and against an independent
 * decoder (node-pdu, a dev dependency used for decoding only: its encoder
 * gets the alphabet and lengths wrong, see shared/reference/gsm-modem.md §5).
 *
 * - ModemManager's parser vectors with the values ModemManager expects;
 * - Gammu's AT+CMGR corpus: the good ones decode and agree with node-pdu,
 *   the failing ones are refused;
 * - generated vectors: random texts (GSM with extension characters, UCS-2
 *   with emoji), concatenated with 8- and 16-bit references, numeric and
 *   alphanumeric originators, time zones east and west, status reports with
 *   every TP-ST class — encoded by our network-side encoder, decoded by ours
 *   and by node-pdu, compared field by field.
 */
import { describe, expect, it } from 'vitest';
import { Deliver, Report, Submit, parse } from 'node-pdu';
import {
  decodePdu,
  encodeDeliverPdu,
  encodeStatusReportPdu,
  type DecodedDeliver,
  type DecodedStatusReport,
  type DecodedSubmit,
} from '../../../../../src/sms/connectors/modem/pdu/index.js';
import { decodeShortMessage, planSegments } from '../../../../../src/sms/encoding/index.js';
import { AppError } from '../../../../../src/shared/errors.js';
import { GAMMU_AT_SMS, MODEMMANAGER_INVALID, MODEMMANAGER_VECTORS } from '../../../../fixtures/pdu/published-vectors.js';

/** ModemManager's "2011-02-28T11:50:50-05" → epoch ms and zone minutes. */
function mmTime(stamp: string): { utcMs: number; zoneMinutes: number } {
  const zone = /([+-])(\d\d)$/.exec(stamp);
  const zoneMinutes = zone ? (zone[1] === '-' ? -1 : 1) * Number(zone[2]) * 60 : 0;
  return { utcMs: Date.parse(zone ? `${stamp}:00` : stamp), zoneMinutes };
}

const digits = (n: string | null | undefined) => (n ?? '').replace(/^\+/, '');

describe('ModemManager parser vectors', () => {
  it.each(MODEMMANAGER_VECTORS)('$name decodes to what ModemManager expects', (v) => {
    const pdu = decodePdu(v.pdu);
    if (v.smsc) expect(pdu.type === 'submit' ? null : pdu.smsc).toBe(v.smsc);
    if (pdu.type === 'deliver') {
      expect(pdu.sender.number).toBe(v.number);
      expect(pdu.sentAt).toEqual(mmTime(v.timestamp!));
      expect(pdu.udh?.concat !== undefined && pdu.udh?.concat !== null).toBe(v.multipart);
      if (v.text !== null) expect(pdu.text).toBe(v.text);
      // 8-bit data: the octets as they are (ModemManager's expected data is the whole UD).
      else expect(pdu.payload.toString('hex').toUpperCase()).toBe(v.pdu.slice(-pdu.payload.length * 2));
    } else if (pdu.type === 'status-report') {
      expect(pdu.recipient.number).toBe(v.number);
      expect(pdu.sentAt).toEqual(mmTime(v.timestamp!));
      expect(pdu).toMatchObject({ messageReference: 0x5a, status: 0x30, outcome: 'trying' });
    } else {
      expect(pdu.recipient.number).toBe(v.number);
      expect(decodeShortMessage(pdu.payload, pdu.dataCoding)).toBe(v.text);
    }
  });

  // TP-UDHI set and TP-UDL 0: ModemManager refuses, Gammu accepts (its at-sms/20). We accept an empty
  // message: refusing it would delete an inbound message from the SIM with only a log line left.
  const ACCEPTED = new Set(['test_pdu_wrong_user_data_elements_size', 'test_pdu_wrong_udh']);

  it.each(MODEMMANAGER_INVALID.filter((v) => !ACCEPTED.has(v.name)))('$name is refused with a typed error', ({ pdu }) => {
    expect(() => decodePdu(pdu)).toThrowError(AppError);
  });

  it.each(MODEMMANAGER_INVALID.filter((v) => ACCEPTED.has(v.name)))('$name (header flag without user data) decodes as an empty message', ({ pdu }) => {
    expect(decodePdu(pdu)).toMatchObject({ type: 'submit', udh: null, payload: Buffer.alloc(0) });
  });
});

/** What node-pdu makes of a PDU, in our terms. */
function theirs(hex: string) {
  const p = parse(hex);
  if (p instanceof Deliver) {
    const header = p.getParts()[0]?.header;
    return {
      type: 'deliver',
      address: p.address.phone,
      text: p.data.getText(),
      concat:
        header?.getSegments() && header.getSegments()! > 1 ? { reference: header.getPointer(), total: header.getSegments(), seq: header.getCurrent() } : null,
      time: p.serviceCenterTimeStamp.time * 1000,
      zone: p.serviceCenterTimeStamp.tzOff + 0, // node-pdu says -0 for UTC
    };
  }
  if (p instanceof Report)
    return {
      type: 'status-report',
      address: p.address.phone,
      reference: p.reference,
      status: p.status,
      time: p.dateTime.time * 1000,
      discharge: p.discharge.time * 1000,
    };
  if (p instanceof Submit) return { type: 'submit', address: p.address.phone };
  return { type: 'unknown' };
}

function ours(hex: string) {
  const p = decodePdu(hex);
  if (p.type === 'deliver') {
    const c = p.udh?.concat;
    return {
      type: 'deliver',
      address: p.sender.number,
      text: p.text,
      concat: c ? { reference: c.reference, total: c.total, seq: c.seq } : null,
      time: p.sentAt.utcMs,
      zone: p.sentAt.zoneMinutes,
    };
  }
  if (p.type === 'status-report')
    return {
      type: 'status-report',
      address: p.recipient.number,
      reference: p.messageReference,
      status: p.status,
      time: p.sentAt.utcMs,
      discharge: p.dischargedAt.utcMs,
    };
  return { type: 'submit', address: (p as DecodedSubmit).recipient.number };
}

/** node-pdu writes international numbers without '+', and an empty address as null. */
function comparable(decoded: ReturnType<typeof ours>) {
  return { ...decoded, address: digits(decoded.address) || null };
}

describe("Gammu's AT+CMGR corpus", () => {
  // Where we and node-pdu part ways, and why we are right.
  const OURS_DIFFER: Record<string, string> = {
    // TP-DCS 0xFB: coding group F, bit 2 clear = GSM 7-bit (23.038 §4); node-pdu reads UCS-2 and shows garbage.
    'at-sms/42.dump': '1917812300     22:30   RATTHI',
  };
  // Gammu accepts it; its TP-UDL says 93 septets where the 79 octets present hold 90. A stored SMS-SUBMIT, never inbound.
  const REFUSED = new Set(['at-sms/41.dump']);

  it.each(GAMMU_AT_SMS.filter((v) => v.kind === 'ok'))('$file decodes and agrees with node-pdu', ({ file, pdu }) => {
    if (REFUSED.has(file)) {
      expect(() => decodePdu(pdu)).toThrowError(/TP-UD/);
      return;
    }
    const mine = comparable(ours(pdu));
    if (OURS_DIFFER[file]) {
      expect(mine).toMatchObject({ type: 'deliver', text: OURS_DIFFER[file] });
      return;
    }
    const other = theirs(pdu);
    expect(mine).toMatchObject(other.type === 'deliver' ? { ...other, concat: mine.type === 'deliver' ? mine.concat : null } : other);
  });

  it('knows what the corpus is about: texts, a concatenated part, status reports', () => {
    const byFile = (file: string) => decodePdu(GAMMU_AT_SMS.find((v) => v.file === file)!.pdu);
    expect(byFile('at-sms/03.dump')).toMatchObject({ type: 'deliver', sender: { number: '+919884280026' }, text: 'Ok sir' });
    expect(byFile('at-sms/10.dump')).toMatchObject({ text: 'Tèätrc @ £.' });
    expect((byFile('at-sms/22.dump') as DecodedDeliver).udh!.concat).toEqual({ reference: 1, total: 2, seq: 1, sixteenBit: false });
    expect(byFile('at-sms/30.dump')).toMatchObject({
      type: 'status-report',
      messageReference: 232,
      recipient: { number: '+666666666666' },
      outcome: 'delivered',
    });
    expect(byFile('at-sms/16.dump')).toMatchObject({ type: 'submit', recipient: { number: '1234' }, dataCoding: 8 });
  });

  it.each(GAMMU_AT_SMS.filter((v) => v.kind === 'failing'))('$file is refused with a typed error', ({ pdu }) => {
    expect(() => decodePdu(pdu)).toThrowError(AppError);
  });
});

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The GSM default and extension tables, less '§': node-pdu has '`' at 0x5F (a copied error; ModemManager's test_pdu1 shows 0x5F is '§').
const GSM = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€';
const WIDE = ['Ж', 'ш', 'ő', 'ű', '中', '文', '😀', '🎉', 'ا', 'ß', 'é'];

function randomText(next: () => number): string {
  const length = 1 + Math.floor(next() * (next() < 0.3 ? 400 : 150));
  const wide = next() < 0.35;
  let text = '';
  for (let i = 0; i < length; i++) text += wide && next() < 0.3 ? WIDE[Math.floor(next() * WIDE.length)] : GSM[Math.floor(next() * GSM.length)];
  return text;
}

function randomAddress(next: () => number): string {
  const kind = next();
  if (kind < 0.2) return ['Telenode', 'ACME Bank', 'O2', 'InternetSMS', 'x'][Math.floor(next() * 5)]!;
  const length = 3 + Math.floor(next() * 12);
  const number = Array.from({ length }, () => Math.floor(next() * 10)).join('');
  return kind < 0.7 ? `+${number}` : number;
}

describe('generated vectors, decoded by us and by node-pdu', () => {
  it('SMS-DELIVER: texts, concatenation (8- and 16-bit references), originators and time zones agree', () => {
    const next = random(20261122);
    let compared = 0;
    for (let n = 0; n < 150; n++) {
      const text = randomText(next);
      const sixteenBit = next() < 0.5;
      const plan = planSegments(text, { concat: sixteenBit ? 'udh16' : 'udh8' });
      const reference = Math.floor(next() * (sixteenBit ? 65536 : 256));
      const sender = randomAddress(next);
      const zoneMinutes = (Math.floor(next() * 97) - 48) * 15;
      // Two-digit years: node-pdu and we place them in different centuries past 2069, so stay before.
      const sentAt = Date.UTC(
        2000 + Math.floor(next() * 70),
        Math.floor(next() * 12),
        1 + Math.floor(next() * 28),
        Math.floor(next() * 24),
        Math.floor(next() * 60),
        Math.floor(next() * 60),
      );
      for (const part of plan.parts) {
        const concat = plan.parts.length > 1 ? { reference, total: plan.parts.length, seq: part.seq, sixteenBit } : null;
        const hex = encodeDeliverPdu({
          smsc: next() < 0.5 ? '+36209300099' : undefined,
          sender,
          dataCoding: plan.dataCoding,
          payload: part.payload,
          concat,
          sentAt,
          zoneMinutes,
        });
        const mine = ours(hex);
        expect(mine.type === 'deliver' && mine.text, `our text, vector ${n}.${part.seq}`).toBe(part.text);
        expect(comparable(mine), `vector ${n}.${part.seq}: ${hex}`).toEqual(comparable(theirs(hex) as ReturnType<typeof ours>));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('SMS-STATUS-REPORT: reference, recipient, time stamps and status agree over every TP-ST class', () => {
    const next = random(42);
    for (let n = 0; n < 120; n++) {
      const status = [0x00, 0x01, 0x02, 0x20, 0x21, 0x30, 0x40, 0x41, 0x46, 0x60, 0x65, 0x7f][n % 12]!;
      const recipient = `+36${Math.floor(next() * 1e9)}`;
      const sentAt = Date.UTC(2026, 10, 22, Math.floor(next() * 24), Math.floor(next() * 60));
      const hex = encodeStatusReportPdu({
        messageReference: Math.floor(next() * 256),
        recipient,
        sentAt,
        dischargedAt: sentAt + Math.floor(next() * 3600) * 1000,
        status,
        zoneMinutes: (Math.floor(next() * 9) - 4) * 60,
      });
      expect(comparable(ours(hex)), hex).toEqual(comparable(theirs(hex) as ReturnType<typeof ours>));
      const decoded = decodePdu(hex) as DecodedStatusReport;
      expect(decoded.outcome).toBe(status <= 0x1f ? 'delivered' : status < 0x40 ? 'trying' : status === 0x46 ? 'expired' : 'failed');
    }
  });
});
