/**
 * A recording a crash cut short (`<name>.wav.part`: no header, the audio up to the last second written) is finished
 * at the next start, so the caller's message is kept. The SIGKILL of a real daemon mid-recording is in
 * test/integration/voice/recording-crash.test.ts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/shared/log.js';
import { AudioClip } from '../../../../src/voice/media/audio-clip.js';
import { finishInterruptedRecordings, keepInterruptedRecordCompletedPromises } from '../../../../src/voice/ozml/interrupted-recordings.js';
import { writeRecordCompletedPromise } from '../../../../src/voice/ozml/record-completed-promise.js';
import type { CallEvents } from '../../../../src/voice/ozml/services.js';
import { encodeWav } from '../../../../src/voice/media/wav.js';
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

describe('RecordCompleted promised to an app for a recording a crash cut short', () => {
  const promise = (call: string) => ({
    url: `http://app.example/recorded/${call}`,
    fields: { NotificationName: 'RecordCompleted', CallId: call },
    orderKey: call,
  });
  const told: { url: string; fields: Record<string, string>; orderKey: string }[] = [];
  const outbox = (takes: boolean): CallEvents => ({
    notify: (url, fields, orderKey) => {
      if (takes) told.push({ url, fields, orderKey });
      return Promise.resolve(takes);
    },
  });
  const promises = (folder: string) => readdirSync(folder).filter((n) => n.endsWith('.notify'));

  it('is sent with the audio the file holds and FinishReason interrupted, then dropped; one whose recording is gone or that was cut short as it was written is dropped', async () => {
    const folder = join(dir.path, 'promises');
    mkdirSync(folder);
    writeFileSync(join(folder, 'call-d-4.wav'), encodeWav(AudioClip.tone(300, 2500).pcm));
    await writeRecordCompletedPromise(join(folder, 'call-d-4.wav'), promise('call-d'));
    await writeRecordCompletedPromise(join(folder, 'call-e-5.wav'), promise('call-e')); // its recording deleted since
    writeFileSync(join(folder, 'call-f-6.wav'), encodeWav(new Int16Array(0)));
    writeFileSync(join(folder, 'call-f-6.wav.notify'), ''); // the node died between creating the file and writing it

    const sent = await keepInterruptedRecordCompletedPromises({ dir: folder, publicUrl: 'https://files.example/rec/' }, outbox(true), silentLogger());

    expect(sent).toBe(1);
    expect(told).toEqual([
      {
        url: 'http://app.example/recorded/call-d',
        fields: {
          NotificationName: 'RecordCompleted',
          CallId: 'call-d',
          RecordURL: 'https://files.example/rec/call-d-4.wav',
          Duration: '2.5',
          Format: 'wav',
          FinishDigit: '',
          FinishReason: 'interrupted',
        },
        orderKey: 'call-d',
      },
    ]);
    expect(promises(folder)).toEqual([]);
  });

  it('is kept for the next start while the callback outbox cannot take it', async () => {
    const folder = join(dir.path, 'promises-kept');
    mkdirSync(folder);
    writeFileSync(join(folder, 'call-g-7.wav'), encodeWav(AudioClip.tone(300, 500).pcm));
    await writeRecordCompletedPromise(join(folder, 'call-g-7.wav'), promise('call-g'));

    expect(await keepInterruptedRecordCompletedPromises({ dir: folder, publicUrl: null }, outbox(false), silentLogger())).toBe(0);
    expect(promises(folder)).toEqual(['call-g-7.wav.notify']);
    told.length = 0;
    expect(await keepInterruptedRecordCompletedPromises({ dir: folder, publicUrl: null }, outbox(true), silentLogger())).toBe(1);
    expect(told.map((t) => t.fields['RecordURL'])).toEqual(['recordings/call-g-7.wav']);
    expect(promises(folder)).toEqual([]);
  });
});
