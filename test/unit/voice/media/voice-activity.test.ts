import { describe, expect, it } from 'vitest';
import { AudioClip } from '../../../../src/voice/media/audio-clip.js';
import { decodeG711, G711_SILENCE } from '../../../../src/voice/media/g711.js';
import { holdsVoice, SilenceWatch } from '../../../../src/voice/media/voice-activity.js';

/** 20 ms of noise whose samples stay within ±peak. */
function noise(peak: number): Int16Array {
  return Int16Array.from({ length: 160 }, (_, i) => Math.round(Math.sin(i * 12.9898) * peak));
}

describe('voice activity (Record Inactivity)', () => {
  it('hears speech-level audio as voice, and line noise, G.711 silence and an empty frame as none', () => {
    expect(holdsVoice(AudioClip.tone(440, 20, 1000).pcm)).toBe(true); // about -33 dBov
    expect(holdsVoice(noise(3000))).toBe(true);
    expect(holdsVoice(noise(120))).toBe(false); // about -50 dBov: comfort noise, a quiet line
    expect(holdsVoice(decodeG711('PCMU', Buffer.alloc(160, G711_SILENCE.PCMU)))).toBe(false);
    expect(holdsVoice(decodeG711('PCMA', Buffer.alloc(160, G711_SILENCE.PCMA)))).toBe(false);
    expect(holdsVoice(new Int16Array(0))).toBe(false);
  });

  it('reports once, after the silence lasted its time since the last voice (or its start), not before', () => {
    const watch = new SilenceWatch(1000, 0);
    expect(watch.expired(999)).toBe(false);
    watch.heard(noise(3000), 900);
    watch.heard(noise(50), 1500); // quiet frames do not count as voice
    expect(watch.expired(1899)).toBe(false);
    expect(watch.expired(1900)).toBe(true);
    expect(watch.expired(5000)).toBe(false);
  });
});
