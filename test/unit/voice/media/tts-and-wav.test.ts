import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioClip, rms } from '../../../../src/voice/media/audio-clip.js';
import { TextToSpeech } from '../../../../src/voice/media/tts.js';
import { decodeWav, encodeWav } from '../../../../src/voice/media/wav.js';
import { tempDir, waitUntil } from '../../../helpers/temp-dir.js';
import { ESPEAK_COMMAND } from '../../../helpers/voice-harness.js';
import wavefile from 'wavefile';

const dir = tempDir();
afterAll(() => dir.remove());
const espeak = spawnSync('espeak-ng', ['--version']).error === undefined;

describe('WAV', () => {
  it('reads a 16 kHz stereo file as 8 kHz mono of the same length', () => {
    const wav = new wavefile.WaveFile();
    const left = Int16Array.from({ length: 16000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 16000)));
    wav.fromScratch(2, 16000, '16', [left, left]);
    const clip = decodeWav(wav.toBuffer());
    expect(clip.pcm.length).toBe(8000);
    expect(rms(clip.pcm)).toBeGreaterThan(4000);
  });

  it('reads μ-law WAV files', () => {
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, 8000, '16', AudioClip.tone(440, 500).pcm);
    wav.toMuLaw();
    expect(decodeWav(wav.toBuffer()).durationMs).toBe(500);
  });

  it('round-trips what it writes', () => {
    const tone = AudioClip.tone(1000, 100);
    expect(decodeWav(encodeWav(tone.pcm)).pcm).toEqual(tone.pcm);
  });

  it('says clearly when a file is not a WAV', () => {
    expect(() => decodeWav(Buffer.from('not a wav at all'), 'prompt.wav')).toThrow(/prompt\.wav: not a readable WAV/);
  });
});

describe('TextToSpeech', () => {
  const voices = { 'en-GB': 'en-gb', 'en-GB/female': 'en-gb+f3', tts_uk_eng_male: 'en-gb' };

  it('maps Speak attributes to voices: language/voice, then voice, then language, then the default', () => {
    const tts = new TextToSpeech({
      command: ESPEAK_COMMAND,
      defaultVoice: 'en-us',
      voices,
      cacheDir: join(dir.path, 'v'),
      cacheMaxBytes: 100_000_000,
      maxProcesses: 2,
      timeoutMs: 1000,
    });
    expect(tts.resolveVoice({ language: 'en-GB', voice: 'female' })).toBe('en-gb+f3');
    expect(tts.resolveVoice({ voice: 'tts_uk_eng_male' })).toBe('en-gb');
    expect(tts.resolveVoice({ language: 'en-GB', voice: 'robot' })).toBe('en-gb');
    expect(tts.resolveVoice({ language: 'xx' })).toBe('en-us');
  });

  it.skipIf(!espeak)('synthesises 8 kHz speech once and serves the repeat from the disk cache', async () => {
    const cacheDir = join(dir.path, 'cache');
    const counter = join(dir.path, 'runs.log');
    // Wrap espeak-ng so the test can count how often it really runs.
    const wrapper = join(dir.path, 'tts.sh');
    writeFileSync(wrapper, `#!/bin/sh\necho run >> ${counter}\nexec espeak-ng "$@"\n`, { mode: 0o755 });
    const make = () =>
      new TextToSpeech({
        command: [wrapper, ...ESPEAK_COMMAND.slice(1)],
        defaultVoice: 'en-us',
        voices,
        cacheDir,
        cacheMaxBytes: 100_000_000,
        maxProcesses: 2,
        timeoutMs: 10_000,
      });
    const first = await make().synthesize('-v starts with a dash and is still just text');
    expect(first.durationMs).toBeGreaterThan(1000);
    expect(rms(first.pcm)).toBeGreaterThan(500);
    const second = await make().synthesize('-v starts with a dash and is still just text'); // a new process: disk cache
    expect(second.pcm).toEqual(first.pcm);
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('reports a TTS command that fails, with its stderr', async () => {
    const tts = new TextToSpeech({
      command: ['sh', '-c', 'echo voice missing >&2; exit 3'],
      defaultVoice: 'x',
      voices: {},
      cacheDir: join(dir.path, 'f'),
      cacheMaxBytes: 100_000_000,
      maxProcesses: 2,
      timeoutMs: 5000,
    });
    await expect(tts.synthesize('hello')).rejects.toMatchObject({ code: 'TN_ERR_TTS_FAILED', message: expect.stringMatching(/exit 3.*voice missing/) });
  });

  /**
   * A stand-in TTS command that holds until the test releases its text, and says at its start how many were
   * running then (itself included), so the test can see every overlap.
   */
  function heldCommand(work: string): string[] {
    for (const sub of ['running', 'release']) mkdirSync(join(work, sub), { recursive: true });
    writeFileSync(join(work, 'tone.wav'), encodeWav(AudioClip.tone(440, 200).pcm));
    const script = join(work, 'held-tts.sh');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        't=$(cat "$1")',
        `touch "${work}/running/$t"`,
        `echo "$t $(ls "${work}/running" | wc -l)" >> "${work}/started"`,
        `while [ ! -e "${work}/release/$t" ]; do sleep 0.02; done`,
        `cp "${work}/tone.wav" "$2"`,
        `rm "${work}/running/$t"`,
      ].join('\n'),
      { mode: 0o755 },
    );
    return [script, '{textFile}', '{out}'];
  }

  it('runs at most maxProcesses commands at once; a burst of texts waits its turn', async () => {
    const work = join(dir.path, 'held');
    const tts = new TextToSpeech({
      command: heldCommand(work),
      defaultVoice: 'x',
      voices: {},
      cacheDir: join(work, 'cache'),
      cacheMaxBytes: 100_000_000,
      maxProcesses: 2,
      timeoutMs: 30_000,
    });
    const texts = ['one', 'two', 'three', 'four', 'five', 'six'];
    const clips = texts.map((text) => tts.synthesize(text));
    const started = () => (existsSync(join(work, 'started')) ? readFileSync(join(work, 'started'), 'utf8').trim().split('\n') : []);
    // Release the commands one at a time, in the order they started, each once another has started behind it
    // (or none is left to): without the cap every text's command would be running at once before the first ends.
    for (let released = 0; released < texts.length; released++) {
      const due = Math.min(released + 2, texts.length);
      await waitUntil(() => started().length >= due, 10_000, `${due} commands started`);
      writeFileSync(join(work, 'release', started()[released]!.split(' ')[0]!), '');
    }
    await Promise.all(clips);
    const runningAtStart = started().map((line) => Number(line.split(' ')[1]));
    expect(runningAtStart).toHaveLength(texts.length);
    expect(Math.max(...runningAtStart)).toBe(2);
  });

  it('keeps its disk cache under cacheMaxBytes however many texts of their own it speaks', async () => {
    const work = join(dir.path, 'capped');
    const command = heldCommand(work);
    const cacheDir = join(work, 'cache');
    const tts = new TextToSpeech({ command, defaultVoice: 'x', voices: {}, cacheDir, cacheMaxBytes: 20_000, maxProcesses: 2, timeoutMs: 30_000 });
    for (let i = 0; i < 12; i++) writeFileSync(join(work, 'release', `code-${i}`), '');
    // Each call's own text (a code read out): a 200 ms clip is 3,244 bytes, so six fit.
    for (let i = 0; i < 12; i++) await tts.synthesize(`code-${i}`);
    const cached = readdirSync(cacheDir).filter((name) => !name.startsWith('.'));
    expect(cached).toHaveLength(6);
    expect(cached.reduce((sum, name) => sum + statSync(join(cacheDir, name)).size, 0)).toBeLessThanOrEqual(20_000);
    expect(readdirSync(join(cacheDir, '.work'))).toEqual([]); // the command's text and output files are gone
  });
});
