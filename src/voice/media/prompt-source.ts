/**
 * Audio for Play: local WAV files (read once, kept in memory) and HTTP(S)
 * URLs (downloaded once into the cache directory under a hash of the URL).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { AppError, ErrorCode, isAppError } from '../../shared/errors.js';
import type { AudioClip } from './audio-clip.js';
import { decodeWav } from './wav.js';

export interface PromptSourceConfig {
  cacheDir: string;
  /** Relative file names resolve against this directory. */
  baseDir: string;
  fetchTimeoutMs: number;
  maxBytes: number;
}

export class PromptSource {
  private readonly memory = new Map<string, Promise<AudioClip>>();
  private static readonly MEMORY_ENTRIES = 200;

  constructor(private readonly config: PromptSourceConfig) {
    mkdirSync(config.cacheDir, { recursive: true });
  }

  /** A WAV file path or an http(s) URL. */
  load(location: string): Promise<AudioClip> {
    const key = /^https?:\/\//i.test(location) ? location : resolve(this.config.baseDir, location);
    let clip = this.memory.get(key);
    if (!clip) {
      clip = key === location && /^https?:/i.test(key) ? this.fromUrl(key) : this.fromFile(key);
      clip.catch(() => this.memory.delete(key));
      if (this.memory.size >= PromptSource.MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value!);
      this.memory.set(key, clip);
    }
    return clip;
  }

  private async fromFile(path: string): Promise<AudioClip> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new AppError(ErrorCode.MEDIA_UNREADABLE, `cannot read audio file ${path}: ${(err as Error).message}`, { cause: err });
    }
    return decodeWav(bytes, path);
  }

  private async fromUrl(url: string): Promise<AudioClip> {
    const cached = join(this.config.cacheDir, `${createHash('sha256').update(url).digest('hex')}.url.wav`);
    if (existsSync(cached)) return decodeWav(readFileSync(cached), url);
    try {
      const response = await request(url, { headersTimeout: this.config.fetchTimeoutMs, bodyTimeout: this.config.fetchTimeoutMs });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new AppError(ErrorCode.MEDIA_FETCH_FAILED, `GET ${url} answered HTTP ${response.statusCode}`, { protocolStatus: response.statusCode, retryable: response.statusCode >= 500 });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > this.config.maxBytes) {
          response.body.destroy();
          throw new AppError(ErrorCode.MEDIA_FETCH_FAILED, `GET ${url}: larger than ${this.config.maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      const bytes = Buffer.concat(chunks);
      const clip = decodeWav(bytes, url); // decode before caching: a bad file is not kept
      const tmp = `${cached}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, cached);
      return clip;
    } catch (err) {
      if (isAppError(err)) throw err;
      throw new AppError(ErrorCode.MEDIA_FETCH_FAILED, `GET ${url} failed: ${(err as Error).message}`, { cause: err, retryable: true });
    }
  }
}
