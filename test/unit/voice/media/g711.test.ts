import { describe, expect, it } from 'vitest';
import { decodeG711, encodeG711, linearToAlaw, linearToMulaw } from '../../../../src/voice/media/g711.js';

describe('G.711', () => {
  it('encodes the reference points of ITU-T G.711 (silence and full scale)', () => {
    expect(linearToMulaw(0)).toBe(0xff);
    expect(linearToMulaw(32767)).toBe(0x80);
    expect(linearToMulaw(-32768)).toBe(0x00);
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(linearToAlaw(32767)).toBe(0xaa);
    expect(linearToAlaw(-32768)).toBe(0x2a);
  });

  it.each(['PCMU', 'PCMA'] as const)('%s round-trips every code word exactly', (law) => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const pcm = decodeG711(law, all);
    const again = encodeG711(law, pcm);
    // μ-law has two zeros (0x7f and 0xff); both decode to 0 and re-encode to 0xff.
    for (let i = 0; i < 256; i++) if (!(law === 'PCMU' && i === 0x7f)) expect(again[i], `code ${i}`).toBe(i);
  });

  it.each(['PCMU', 'PCMA'] as const)('%s keeps a sine wave within the quantisation error', (law) => {
    const pcm = Int16Array.from({ length: 800 }, (_, i) => Math.round(10_000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    const back = decodeG711(law, encodeG711(law, pcm));
    let worst = 0;
    for (let i = 0; i < pcm.length; i++) worst = Math.max(worst, Math.abs(back[i]! - pcm[i]!) / Math.max(256, Math.abs(pcm[i]!)));
    expect(worst).toBeLessThan(0.07); // logarithmic companding: a few percent of the sample
  });
});
