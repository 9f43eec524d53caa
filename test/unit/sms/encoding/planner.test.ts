import { describe, expect, it } from 'vitest';
import { decodeShortMessage, decodeUcs2, encodeUcs2, estimateSegments, planSegments } from '../../../../src/sms/encoding/index.js';

const joined = (text: string, concat: 'udh8' | 'udh16' | 'sar' | 'payload' = 'udh8') => {
  const plan = planSegments(text, { concat });
  return decodeShortMessage(Buffer.concat(plan.parts.map((p) => p.payload)), plan.dataCoding);
};

describe('segment planner', () => {
  it('sends GSM text as data_coding 0 and anything else as UCS-2 (8)', () => {
    expect(planSegments('Hello {world}', { concat: 'udh8' })).toMatchObject({ encoding: 'gsm7', dataCoding: 0 });
    expect(planSegments('Hello ő', { concat: 'udh8' })).toMatchObject({ encoding: 'ucs2', dataCoding: 8 });
  });

  it('fits 160 GSM characters in one part and splits 161 into 153 + 8', () => {
    expect(planSegments('a'.repeat(160), { concat: 'udh8' }).parts).toHaveLength(1);
    const plan = planSegments('a'.repeat(161), { concat: 'udh8' });
    expect(plan.parts.map((p) => p.payload.length)).toEqual([153, 8]);
  });

  it('needs 2 parts for 306 GSM characters and 3 for 307', () => {
    expect(planSegments('b'.repeat(306), { concat: 'udh8' }).parts).toHaveLength(2);
    expect(planSegments('b'.repeat(307), { concat: 'udh8' }).parts).toHaveLength(3);
  });

  it('fits 70 UCS-2 units in one part and splits 71 into 67 + 4', () => {
    expect(planSegments('ő'.repeat(70), { concat: 'udh8' }).parts).toHaveLength(1);
    expect(planSegments('ő'.repeat(71), { concat: 'udh8' }).parts.map((p) => p.text.length)).toEqual([67, 4]);
  });

  it('moves an extension character at a part boundary whole into the next part', () => {
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(10);
    const plan = planSegments(text, { concat: 'udh8' });
    expect(plan.parts[0]!.payload.length).toBe(152);
    expect(plan.parts[1]!.text.startsWith('€')).toBe(true);
    expect(plan.parts[1]!.payload.subarray(0, 2)).toEqual(Buffer.from([0x1b, 0x65]));
    expect(joined(text)).toBe(text);
  });

  it('never splits a surrogate pair', () => {
    const text = 'ő'.repeat(66) + '😀' + 'ő'.repeat(10);
    const plan = planSegments(text, { concat: 'udh8' });
    expect(plan.parts[0]!.text.length).toBe(66);
    expect(plan.parts[1]!.text.startsWith('😀')).toBe(true);
    expect(joined(text)).toBe(text);
  });

  it('uses 152/66 with 16-bit references and one part for message_payload', () => {
    expect(planSegments('c'.repeat(400), { concat: 'udh16' }).parts.map((p) => p.payload.length)).toEqual([152, 152, 96]);
    expect(planSegments('ő'.repeat(140), { concat: 'udh16' }).parts.map((p) => p.text.length)).toEqual([66, 66, 8]);
    expect(planSegments('c'.repeat(400), { concat: 'payload' }).parts).toHaveLength(1);
  });

  it('gives back the original text when the parts are joined', () => {
    const text = 'Mixed text with € and [brackets] and ~tilde~ '.repeat(12);
    for (const mode of ['udh8', 'udh16', 'sar', 'payload'] as const) expect(joined(text, mode)).toBe(text);
  });

  it('estimates parts for the API before any connector is chosen', () => {
    expect(estimateSegments('x'.repeat(459))).toEqual({ encoding: 'gsm7', parts: 3, units: 459 });
    expect(estimateSegments('Ω€')).toEqual({ encoding: 'gsm7', parts: 1, units: 3 });
  });

  it('refuses forcing GSM on text it cannot carry', () => {
    expect(() => planSegments('ő', { concat: 'udh8', forceEncoding: 'gsm7' })).toThrowError(/not in the GSM 03.38 alphabet/);
  });

  it('handles an empty text as one empty part', () => {
    expect(planSegments('', { concat: 'udh8' }).parts).toEqual([{ seq: 1, text: '', payload: Buffer.alloc(0) }]);
  });
});

describe('decoding inbound data_coding', () => {
  it('reads every coding group', () => {
    expect(decodeShortMessage(Buffer.from([0x48, 0x69, 0x1b, 0x65]), 0)).toBe('Hi€');
    expect(decodeShortMessage(Buffer.from('Hi', 'ascii'), 1)).toBe('Hi');
    expect(decodeShortMessage(Buffer.from([0xe9]), 3)).toBe('é');
    expect(decodeShortMessage(encodeUcs2('Ωő😀'), 8)).toBe('Ωő😀');
    expect(decodeShortMessage(encodeUcs2('ő'), 0x18)).toBe('ő'); // general group, UCS-2 with message class
    expect(decodeShortMessage(Buffer.from([0x48, 0x69]), 0xf1)).toBe('Hi'); // group F, GSM, class 1
    expect(decodeShortMessage(Buffer.from([0xff]), 0xf4)).toBe('ÿ'); // group F, 8-bit
    expect(decodeShortMessage(encodeUcs2('ő'), 0xe0)).toBe('ő'); // message waiting, UCS-2
  });

  it('ignores an odd trailing UCS-2 octet', () => {
    expect(decodeUcs2(Buffer.from([0x00, 0x41, 0x00]))).toBe('A');
  });
});
