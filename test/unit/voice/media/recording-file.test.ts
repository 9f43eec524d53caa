import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioClip } from '../../../../src/voice/media/audio-clip.js';
import { RecordingFile, pcmWavHeader } from '../../../../src/voice/media/recording-file.js';
import { decodeWav, encodeWav } from '../../../../src/voice/media/wav.js';
import { tempDir } from '../../../helpers/temp-dir.js';

const dir = tempDir();
afterAll(() => dir.remove());

describe('RecordingFile', () => {
  it('writes a WAV any reader takes, the same as one written whole, and only its final name once finished', async () => {
    const path = join(dir.path, 'call.wav');
    const file = new RecordingFile(path);
    const tone = AudioClip.tone(300, 2500).pcm; // 2.5 s: two flushes of a second and the rest at the end
    for (let offset = 0; offset < tone.length; offset += 160) file.append(tone.slice(offset, offset + 160));
    expect(existsSync(path)).toBe(false);
    expect(await file.finish()).toBe(tone.length);
    expect(readdirSync(dir.path)).toEqual(['call.wav']);
    const bytes = readFileSync(path);
    expect(bytes).toEqual(encodeWav(tone)); // byte for byte what the wavefile package writes
    expect(decodeWav(bytes).pcm).toEqual(tone);
    expect(pcmWavHeader(0)).toEqual(encodeWav(new Int16Array(0)));
  });

  it('fails its finish when the file cannot be written, and leaves no part behind', async () => {
    const path = join(dir.path, 'no-such-folder', 'call.wav');
    const file = new RecordingFile(path);
    file.append(AudioClip.tone(300, 1500).pcm);
    await expect(file.finish()).rejects.toThrow(/ENOENT/);
    expect(existsSync(`${path}.part`)).toBe(false);
  });
});
