import { describe, expect, it } from 'vitest';
import { AudioClip } from '../../../../src/voice/media/audio-clip.js';
import { ClipMemory } from '../../../../src/voice/media/clip-memory.js';

/** A clip of `ms` milliseconds: 16 bytes of PCM a millisecond at 8 kHz. */
const clipOf = (ms: number) => AudioClip.tone(440, ms);

describe('ClipMemory', () => {
  it('holds clips up to its bytes, the least recently used going first', async () => {
    const memory = new ClipMemory(100, 3 * 16_000); // three one-second clips
    let loads = 0;
    const get = (key: string) =>
      memory.get(key, async () => {
        loads++;
        return clipOf(1000);
      });
    for (const key of ['a', 'b', 'c']) await get(key);
    await get('a'); // a is now the most recently used
    await get('d');
    expect(memory.size).toBe(3 * 16_000);
    loads = 0;
    for (const key of ['a', 'c', 'd']) await get(key);
    expect(loads).toBe(0);
    await get('b');
    expect(loads).toBe(1); // b had gone
  });

  it("does not let one caller's new URL a call hold more than its bytes, however long the prompt", async () => {
    const memory = new ClipMemory(200, 32 * 1024 * 1024);
    const fiveMinutes = clipOf(5 * 60_000); // 4.8 MB of PCM
    for (let caller = 0; caller < 200; caller++) await memory.get(`http://app/hold.wav?caller=${caller}`, async () => fiveMinutes);
    expect(memory.size).toBeLessThanOrEqual(32 * 1024 * 1024);
  });

  it('shares a load in progress, and forgets a failed one so the next asks again', async () => {
    const memory = new ClipMemory(10, 1_000_000);
    let loads = 0;
    let fail = true;
    const load = async () => {
      loads++;
      await new Promise((resolve) => setImmediate(resolve));
      if (fail) throw new Error('TTS failed');
      return clipOf(100);
    };
    const [first, second] = [memory.get('k', load), memory.get('k', load)];
    await expect(first).rejects.toThrow('TTS failed');
    await expect(second).rejects.toThrow('TTS failed');
    expect(loads).toBe(1);
    fail = false;
    expect((await memory.get('k', load)).durationMs).toBe(100);
    expect(loads).toBe(2);
  });

  it('counts a clip evicted while it loaded nowhere', async () => {
    const memory = new ClipMemory(1, 1_000_000);
    let finish!: (clip: AudioClip) => void;
    const slow = memory.get('slow', () => new Promise<AudioClip>((resolve) => (finish = resolve)));
    await memory.get('quick', async () => clipOf(100)); // one entry at most: the loading one goes
    finish(clipOf(1000));
    await slow;
    expect(memory.size).toBe(1_600);
  });
});
