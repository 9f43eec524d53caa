/**
 * Text to speech through an external command (espeak-ng by default), run as
 * a child process per uncached prompt, at most `maxProcesses` at once (a
 * burst of calls, each with a text of its own, must not fork a process per
 * call). The result is resampled to 8 kHz and cached on disk under a hash of
 * (command, voice, text), up to `cacheMaxBytes` (disk-cache.ts), so a
 * repeated prompt costs a file read once and a memory lookup afterwards.
 *
 * The command is an argv template: {textFile} (the text, written to a file),
 * {text}, {voice} and {out} are substituted per argument, never through a
 * shell, so a caller's text cannot inject anything; the default passes the
 * text as a file so text starting with '-' is not read as an option.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConcurrencyLimit } from '../../shared/concurrency-limit.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { AudioClip } from './audio-clip.js';
import { ClipMemory } from './clip-memory.js';
import { DiskCache } from './disk-cache.js';
import { decodeWav, encodeWav } from './wav.js';

export interface TtsConfig {
  /** argv template; the command must write a WAV file to {out}. */
  command: string[];
  /** Voice used when a prompt names none or an unknown one. */
  defaultVoice: string;
  /** Speak's Language/Voice attributes (e.g. "en-US", "en-US/female", "tts_uk_eng_male") → the command's voice name. */
  voices: Record<string, string>;
  cacheDir: string;
  /** The disk cache's cap; past it the least recently used speech is deleted. 0: nothing kept on disk. */
  cacheMaxBytes: number;
  /** TTS commands running at once; the rest wait their turn. */
  maxProcesses: number;
  /** One command's run, from its start (not its wait for a turn). */
  timeoutMs: number;
}

export interface VoiceRequest {
  language?: string | null;
  voice?: string | null;
}

export class TextToSpeech {
  /** The last 500 texts spoken, up to 32 MiB of PCM (35 minutes of speech). */
  private readonly memory = new ClipMemory(500, 32 * 1024 * 1024);
  private readonly cache: DiskCache;
  private readonly processes: ConcurrencyLimit;
  /** Numbers each run's work files: a text evicted from memory while it loaded may be loaded a second time at once. */
  private runs = 0;

  constructor(private readonly config: TtsConfig) {
    this.cache = new DiskCache(config.cacheDir, config.cacheMaxBytes);
    this.processes = new ConcurrencyLimit(config.maxProcesses);
  }

  /** The command's voice for Speak's attributes: "language/voice", then voice, then language, then the default. */
  resolveVoice(request: VoiceRequest = {}): string {
    const { voices } = this.config;
    const language = request.language?.trim();
    const voice = request.voice?.trim();
    const candidates = [language && voice ? `${language}/${voice}` : null, voice, language].filter((c): c is string => !!c);
    for (const key of candidates) {
      const found = voices[key] ?? voices[key.toLowerCase()];
      if (found) return found;
    }
    return this.config.defaultVoice;
  }

  synthesize(text: string, request: VoiceRequest = {}): Promise<AudioClip> {
    const voice = this.resolveVoice(request);
    const key = createHash('sha256')
      .update(JSON.stringify([this.config.command, voice, text]))
      .digest('hex');
    return this.memory.get(key, () => this.load(key, text, voice));
  }

  private async load(key: string, text: string, voice: string): Promise<AudioClip> {
    const name = `${key}.wav`;
    const cached = this.cache.read(name);
    if (cached) return decodeWav(cached, join(this.cache.dir, name));
    const run = `${key}.${process.pid}.${++this.runs}`;
    const raw = join(this.cache.workDir, `${run}.raw.wav`);
    const textFile = join(this.cache.workDir, `${run}.txt`);
    try {
      writeFileSync(textFile, text);
      await this.processes.run(() => this.run(text, textFile, voice, raw));
      const clip = decodeWav(readFileSync(raw), `TTS output for voice ${voice}`);
      this.cache.write(name, encodeWav(clip.pcm));
      return clip;
    } finally {
      rmSync(raw, { force: true });
      rmSync(textFile, { force: true });
    }
  }

  private run(text: string, textFile: string, voice: string, out: string): Promise<void> {
    const [command, ...args] = this.config.command.map((arg) =>
      arg.replaceAll('{textFile}', textFile).replaceAll('{text}', text).replaceAll('{voice}', voice).replaceAll('{out}', out),
    );
    return new Promise((resolve, reject) => {
      const child = spawn(command!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2000);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), this.config.timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new AppError(ErrorCode.TTS_FAILED, `TTS command ${command} could not run: ${err.message}`, { cause: err }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new AppError(ErrorCode.TTS_FAILED, `TTS command ${command} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
      });
    });
  }
}
