/**
 * Audio for Play: local WAV files (read once, kept in memory) and HTTP(S)
 * URLs (downloaded once into the cache directory under a hash of the URL,
 * up to `cacheMaxBytes`: a caller's variable in a URL makes a file a call).
 *
 * A location can come from a caller (a variable in a script's path), so a
 * local file is read only if, after resolving symlinks, it is a regular file
 * inside `baseDir`, no larger than `maxBytes`; it is opened non-blocking (a
 * FIFO cannot stall a thread) and read asynchronously.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { EgressPolicy } from '../../shared/egress.js';
import { AppError, ErrorCode, isAppError } from '../../shared/errors.js';
import { HttpClient, type FetchedAnswer } from '../../shared/http-client.js';
import type { AudioClip } from './audio-clip.js';
import { ClipMemory } from './clip-memory.js';
import { DiskCache } from './disk-cache.js';
import { decodeWav } from './wav.js';

export interface PromptSourceConfig {
  cacheDir: string;
  /** The disk cache's cap; past it the least recently used download is deleted. 0: nothing kept on disk. */
  cacheMaxBytes: number;
  /** Relative file names resolve against this directory. */
  baseDir: string;
  fetchTimeoutMs: number;
  maxBytes: number;
  /** Where prompt URLs may be fetched from (a script or a caller's variable chose them); none: anywhere. */
  egress?: EgressPolicy | null;
}

export class PromptSource {
  /** The last 200 files and URLs played, up to 32 MiB of PCM. */
  private readonly memory = new ClipMemory(200, 32 * 1024 * 1024);

  private readonly http: HttpClient;
  private readonly cache: DiskCache;

  constructor(private readonly config: PromptSourceConfig) {
    this.cache = new DiskCache(config.cacheDir, config.cacheMaxBytes);
    this.http = new HttpClient(config.egress ?? null);
  }

  /** A WAV file path or an http(s) URL. */
  load(location: string): Promise<AudioClip> {
    const key = /^https?:\/\//i.test(location) ? location : resolve(this.config.baseDir, location);
    return this.memory.get(key, () => (key === location && /^https?:/i.test(key) ? this.fromUrl(key) : this.fromFile(key)));
  }

  private async fromFile(path: string): Promise<AudioClip> {
    const bytes = await this.readInsideBaseDir(path);
    return decodeWav(bytes, path);
  }

  private async readInsideBaseDir(path: string): Promise<Buffer> {
    const unreadable = (why: string, cause?: unknown) => new AppError(ErrorCode.MEDIA_UNREADABLE, `cannot play audio file ${path}: ${why}`, { cause });
    let real: string;
    let base: string;
    try {
      [real, base] = await Promise.all([realpath(path), realpath(this.config.baseDir)]);
    } catch (err) {
      throw unreadable((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message, err);
    }
    const inside = relative(base, real);
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) throw unreadable('outside voice.prompts.baseDir');
    let handle;
    try {
      handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (err) {
      throw unreadable((err as Error).message, err);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw unreadable('not a regular file');
      if (stat.size > this.config.maxBytes) throw unreadable(`larger than ${this.config.maxBytes} bytes`);
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  private async fromUrl(url: string): Promise<AudioClip> {
    const name = `${createHash('sha256').update(url).digest('hex')}.url.wav`;
    const cached = this.cache.read(name);
    if (cached) return decodeWav(cached, url);
    // The whole download, not only each read: a server that trickles its body would otherwise keep the call in
    // silence, and a socket open, for as long as maxBytes lasts at its pace.
    const deadline = AbortSignal.timeout(this.config.fetchTimeoutMs);
    let answer: FetchedAnswer;
    try {
      answer = await this.http.fetch(url, { method: 'GET', signal: deadline, maxBytes: this.config.maxBytes, tooLargeCode: ErrorCode.MEDIA_FETCH_FAILED });
    } catch (err) {
      if (isAppError(err) && err.code === ErrorCode.EGRESS_DENIED) throw err;
      const reason = deadline.aborted ? `not downloaded within ${this.config.fetchTimeoutMs} ms` : (err as Error).message;
      throw new AppError(ErrorCode.MEDIA_FETCH_FAILED, `GET ${url} failed: ${reason}`, { cause: err, retryable: !isAppError(err) });
    }
    if (answer.status !== 200)
      throw new AppError(ErrorCode.MEDIA_FETCH_FAILED, `GET ${url} answered HTTP ${answer.status}`, {
        protocolStatus: answer.status,
        retryable: answer.status >= 500,
      });
    const clip = decodeWav(answer.body, url); // decode before caching: a bad file is not kept
    this.cache.write(name, answer.body);
    return clip;
  }
}
