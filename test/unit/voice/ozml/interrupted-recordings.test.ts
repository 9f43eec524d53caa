/**
 * A recording a crash cut short (`<name>.wav.part`: no header, the audio up to the last second written) is finished
 * at the next start, so the caller's message is kept. The SIGKILL of a real daemon mid-recording is in
 * test/integration/voice/recording-crash.test.ts.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/shared/log.js';
import { AudioClip } from '../../../../src/voice/media/audio-clip.js';
import { finishInterruptedRecordings } from '../../../../src/voice/ozml/interrupted-recordings.js';
import { decodeWav } from '../../../../src/voice/media/wav.js';
import { tempDir } from '../../../helpers/temp-dir.js';

const dir = tempDir('telenode-interrupted-recordings-');
afterAll(() => dir.remove());

/** A `.part` as the media worker leaves it: the header's 44 bytes not yet written, then the samples. */
function part(pcm: Int16Array, extra: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.alloc(44), Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), extra]);
}

describe('recordings cut short by a crash', () => {
  it('are finished with their audio and renamed; a torn last write loses its odd byte; other files are left alone', () => {
    const tone = AudioClip.tone(300, 1500).pcm;
    writeFileSync(join(dir.path, 'call-a-1.wav.part'), part(tone));
    writeFileSync(join(dir.path, 'call-b-2.wav.part'), part(tone.subarray(0, 800), Buffer.from([7])));
    writeFileSync(join(dir.path, 'call-c-3.wav.part'), Buffer.alloc(10)); // killed before its first second was written
    writeFileSync(join(dir.path, 'kept.wav'), 'RIFF kept');
    writeFileSync(join(dir.path, 'notes.txt.part'), 'not a recording');

    const finished = finishInterruptedRecordings(dir.path, silentLogger());

    expect(finished.sort()).toEqual(['call-a-1.wav', 'call-b-2.wav', 'call-c-3.wav']);
    expect(decodeWav(readFileSync(join(dir.path, 'call-a-1.wav'))).pcm).toEqual(tone);
    expect(decodeWav(readFileSync(join(dir.path, 'call-b-2.wav'))).pcm).toEqual(tone.subarray(0, 800));
    expect(decodeWav(readFileSync(join(dir.path, 'call-c-3.wav'))).pcm).toHaveLength(0);
    expect(readFileSync(join(dir.path, 'kept.wav'), 'utf8')).toBe('RIFF kept');
    expect(existsSync(join(dir.path, 'notes.txt.part'))).toBe(true);
    expect(readdirSync(dir.path).filter((n) => n.endsWith('.wav.part'))).toEqual([]);
  });

  it('finds nothing to do without a recordings folder', () => {
    expect(finishInterruptedRecordings(join(dir.path, 'none'), silentLogger())).toEqual([]);
  });
});
