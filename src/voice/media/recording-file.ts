/**
 * A call's recording written to disk as it comes, in the media worker: a WAV file (8 kHz 16-bit mono PCM, the RIFF
 * WAVE format) whose audio is appended a second at a time to `<path>.part` and whose header is written, and the file
 * renamed to `path`, when the recording ends. Held in memory until then, a recording cost 16 KB a second of a call
 * (57 MB for Record's longest, an hour): a run of callers staying on the line through a voicemail's Record could
 * grow the node by gigabytes. Now a recording holds at most a second of audio, plus whatever a slow disk has not
 * taken yet.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';

const SAMPLE_RATE = 8000;
export const WAV_HEADER_BYTES = 44;
/** Audio gathered before a write: a second (16 KB), so a recording is a handful of writes a call-minute. */
const FLUSH_SAMPLES = SAMPLE_RATE;

/**
 * The 44-byte header of a PCM WAV file: RIFF, `fmt ` (16-bit mono at 8 kHz), `data` of `samples` samples. Written here
 * rather than by wav.ts's encodeWav: the media worker, a V8 heap of its own, does not load the `wavefile` package, and
 * this header is written after the audio. A test checks it is byte for byte what encodeWav writes.
 */
export function pcmWavHeader(samples: number): Buffer {
  const dataBytes = samples * 2;
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * 2, 28); // bytes a second
  header.writeUInt16LE(2, 32); // bytes a frame
  header.writeUInt16LE(16, 34); // bits a sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

export class RecordingFile {
  private readonly handle: Promise<FileHandle>;
  private readonly partPath: string;
  private pending: Int16Array[] = [];
  private pendingSamples = 0;
  /** Samples handed to a write (written, or being written). */
  private samples = 0;
  /** The chain of writes, in order; each starts when the one before it is done. */
  private writes: Promise<void>;
  private failure: Error | null = null;

  constructor(private readonly path: string) {
    this.partPath = `${path}.part`;
    this.handle = open(this.partPath, 'w');
    this.writes = this.handle.then(
      () => undefined,
      (err: unknown) => this.fail(err),
    );
  }

  /** Audio of the call, in order; its memory is the caller's no longer. */
  append(pcm: Int16Array): void {
    if (this.failure) return;
    this.pending.push(pcm);
    this.pendingSamples += pcm.length;
    if (this.pendingSamples >= FLUSH_SAMPLES) this.flush();
  }

  /** Write what is left and the header, close, and rename to the final path; resolves with the samples recorded. */
  async finish(): Promise<number> {
    this.flush();
    await this.writes;
    const handle = await this.handle.catch(() => null);
    if (handle && !this.failure) {
      await handle.write(pcmWavHeader(this.samples), 0, WAV_HEADER_BYTES, 0).catch((err: unknown) => this.fail(err));
    }
    await handle?.close().catch((err: unknown) => this.fail(err));
    if (this.failure) {
      await rm(this.partPath, { force: true }).catch(() => undefined);
      throw this.failure;
    }
    await rename(this.partPath, this.path);
    return this.samples;
  }

  private flush(): void {
    if (this.pending.length === 0 || this.failure) return;
    const chunks = this.pending;
    this.pending = [];
    this.pendingSamples = 0;
    const bytes = Buffer.concat(chunks.map((chunk) => new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    const position = WAV_HEADER_BYTES + this.samples * 2;
    this.samples += bytes.length / 2;
    this.writes = this.writes.then(async () => {
      if (this.failure) return;
      const handle = await this.handle;
      await handle.write(bytes, 0, bytes.length, position).catch((err: unknown) => this.fail(err));
    });
  }

  private fail(err: unknown): void {
    this.failure ??= err instanceof Error ? err : new Error(String(err));
  }
}
