/**
 * The fast PDU encoder and decoder (pdu-fast-paths.ts) against node-smpp's own, on
 * PDUs of every command with random fields and TLVs, and on damaged bytes: the same
 * octets out, the same fields in, the same errors. node-smpp's own implementation is
 * a second copy of the package loaded beside the patched one, with the same identity
 * filters smpp-lib.ts installs (short_message, message_payload, and the decoding of SMPP times).
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import smpp from '../../../../../src/sms/connectors/smpp/smpp-lib.js';
import { Dice, damageBytes, seededRandom } from '../../../../fuzz/dice.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);

interface FieldType {
  default: unknown;
}
interface Defs {
  types: Record<string, FieldType> & { tlv: Record<string, FieldType> };
  filters: Record<string, unknown>;
  commands: Record<string, { params?: Record<string, { type: FieldType; filter?: unknown }> }>;
  tlvs: Record<string, { type: FieldType; multiple?: boolean; filter?: unknown }>;
}
type PduClass = new (command: string | Buffer, options?: Record<string, unknown>) => Record<string, unknown> & { toBuffer(): Buffer };

/** node-smpp as published: a fresh copy of its modules, with smpp-lib.ts's identity filters (short_message, message_payload, times read). */
function pristineSmpp(): { PDU: PduClass; defs: Defs } {
  const require = createRequire(import.meta.url);
  const saved = { ...require.cache };
  for (const key of Object.keys(require.cache)) if (key.includes('/node_modules/smpp/')) delete require.cache[key];
  const defs = require('smpp/lib/defs') as Defs;
  const { PDU } = require('smpp/lib/pdu') as { PDU: PduClass };
  for (const key of Object.keys(require.cache)) if (key.includes('/node_modules/smpp/')) delete require.cache[key];
  Object.assign(require.cache, saved);
  const raw = { encode: (v: unknown) => v, decode: (v: unknown) => v };
  for (const command of Object.values(defs.commands)) if (command.params?.['short_message']?.filter) command.params['short_message'].filter = raw;
  defs.tlvs['message_payload']!.filter = raw;
  (defs.filters['time'] as { decode: (v: unknown) => unknown }).decode = raw.decode;
  return { PDU, defs };
}

const fast = smpp.PDU as unknown as PduClass;
const { PDU: original, defs } = pristineSmpp();
const dice = new Dice(seededRandom(SEED));

function ascii(max: number): string {
  let s = '';
  for (let i = dice.int(max + 1); i > 0; i--) s += String.fromCharCode(32 + dice.int(95));
  return s;
}

function valueOf(type: FieldType, timeFiltered: boolean): unknown {
  const t = defs.types;
  if (timeFiltered) return dice.pick([() => '', () => new Date(1_700_000_000_000 + dice.int(1e9)), () => '000001000000', () => ascii(16)])();
  if (type === t['int8']) return dice.int(256);
  if (type === t['int16']) return dice.int(65536);
  if (type === t['int32']) return dice.int(2 ** 32);
  if (type === t['cstring'] || type === t['string']) return ascii(20);
  if (type === t['buffer'] || type === t.tlv['buffer']) return dice.bytes(dice.int(60));
  if (type === t.tlv['string']) return ascii(20);
  if (type === t['dest_address_array'])
    return Array.from({ length: dice.int(3) }, () =>
      dice.chance(0.5) ? { dl_name: ascii(8) } : { dest_addr_ton: dice.int(7), dest_addr_npi: dice.int(19), destination_addr: ascii(15) },
    );
  if (type === t['unsuccess_sme_array'])
    return Array.from({ length: dice.int(3) }, () => ({
      dest_addr_ton: dice.int(7),
      dest_addr_npi: dice.int(19),
      destination_addr: ascii(15),
      error_status_code: dice.int(255),
    }));
  return type.default;
}

/** A command's options: most parameters set, some left to their defaults, a few TLVs. */
function randomOptions(command: string): Record<string, unknown> {
  const options: Record<string, unknown> = { sequence_number: 1 + dice.int(0x7fffffff) };
  if (dice.chance(0.05)) options['command_status'] = 1 + dice.int(0x100);
  for (const [key, param] of Object.entries(defs.commands[command]!.params ?? {})) {
    if (dice.chance(0.85)) options[key] = valueOf(param.type, param.filter === defs.filters['time']);
  }
  const tlvNames = Object.keys(defs.tlvs);
  for (let i = dice.int(4); i > 0; i--) {
    const name = dice.pick(tlvNames);
    const tlv = defs.tlvs[name]!;
    if (tlv.filter && tlv.filter !== defs.tlvs['message_payload']!.filter) continue; // the encoders of broadcast_* and callback_num want structured values
    const value = valueOf(tlv.type, false);
    options[name] = tlv.multiple ? [value, valueOf(tlv.type, false)] : value;
  }
  return options;
}

/** The PDU's own fields (for…in's view without the prototype's methods), or the error it threw. */
function outcome(make: () => Record<string, unknown>): unknown {
  try {
    const pdu = make();
    return Object.fromEntries(Object.keys(pdu).map((k) => [k, pdu[k]]));
  } catch (err) {
    return { threw: String(err) };
  }
}

function encoded(PDU: PduClass, command: string, options: Record<string, unknown>): unknown {
  try {
    const pdu = new PDU(command, structuredClone(options));
    const bytes = pdu.toBuffer();
    return { bytes, fields: Object.fromEntries(Object.keys(pdu).map((k) => [k, pdu[k]])) };
  } catch (err) {
    return { threw: String(err) };
  }
}

describe(`node-smpp's PDU codec, fast paths (seed ${SEED})`, () => {
  beforeAll(() => {
    vi.useFakeTimers({ now: new Date('2026-12-04T12:00:00Z'), toFake: ['Date'] });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it('the fast paths are installed (not node-smpp’s own)', () => {
    expect(Object.getPrototypeOf(new fast('enquire_link')).toBuffer).not.toBe(Object.getPrototypeOf(new original('enquire_link')).toBuffer);
  });

  it('encodes every command to the same octets and leaves the same fields, for 3,000 random PDUs', () => {
    const commands = Object.keys(defs.commands);
    let compared = 0;
    for (let i = 0; i < 3000; i++) {
      const command = commands[i % commands.length]!;
      const options = randomOptions(command);
      expect(encoded(fast, command, options), `${command} ${JSON.stringify(options)}`).toEqual(encoded(original, command, options));
      compared++;
    }
    expect(compared).toBe(3000);
  });

  it('decodes the same fields, or throws the same error, from 5,000 whole and damaged PDUs', () => {
    const commands = Object.keys(defs.commands);
    let whole = 0;
    for (let i = 0; i < 5000; i++) {
      const command = commands[i % commands.length]!;
      let bytes: Buffer;
      try {
        bytes = new original(command, randomOptions(command)).toBuffer();
      } catch {
        continue;
      }
      if (dice.chance(0.6)) {
        bytes = damageBytes(bytes, dice);
        // Mostly keep the framing a session would have checked (command_length matches, SMPP 3.4 §3.2).
        if (bytes.length >= 16 && dice.chance(0.8)) bytes.writeUInt32BE(bytes.length, 0);
      } else {
        whole++;
      }
      const copy = Buffer.from(bytes);
      expect(
        outcome(() => new fast(copy)),
        bytes.toString('hex'),
      ).toEqual(outcome(() => new original(Buffer.from(bytes))));
    }
    expect(whole).toBeGreaterThan(1000);
  });
});
