/**
 * Audio as the media layer plays it: 8 kHz 16-bit mono PCM, with its G.711
 * encodings made once and kept (in shared memory the media worker reads), so
 * a cached prompt played on hundreds of calls costs a buffer slice per frame
 * and no per-call encoding or copy.
 */
import { encodeG711, type G711Law } from './g711.js';

export const SAMPLE_RATE = 8000;
export const SAMPLES_PER_FRAME = 160;

export class AudioClip {
  private readonly encoded = new Map<G711Law, Buffer>();

  constructor(readonly pcm: Int16Array) {}

  get durationMs(): number {
    return (this.pcm.length / SAMPLE_RATE) * 1000;
  }

  get frames(): number {
    return Math.ceil(this.pcm.length / SAMPLES_PER_FRAME);
  }

  encodedAs(law: G711Law): Buffer {
    let buffer = this.encoded.get(law);
    if (!buffer) {
      // Pad to whole frames with silence so the last frame is full length.
      const padded = new Int16Array(this.frames * SAMPLES_PER_FRAME);
      padded.set(this.pcm);
      const encoded = encodeG711(law, padded);
      // In shared memory: the media worker reads it in place, since postMessage shares a
      // SharedArrayBuffer instead of copying it, however many calls play the clip.
      buffer = Buffer.from(new SharedArrayBuffer(encoded.length));
      encoded.copy(buffer);
      this.encoded.set(law, buffer);
    }
    return buffer;
  }

  static silence(ms: number): AudioClip {
    return new AudioClip(new Int16Array(Math.round((ms / 1000) * SAMPLE_RATE)));
  }

  /** A sine tone, for Beep and for tests. */
  static tone(frequencyHz: number, ms: number, amplitude = 8000): AudioClip {
    const pcm = new Int16Array(Math.round((ms / 1000) * SAMPLE_RATE));
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / SAMPLE_RATE));
    return new AudioClip(pcm);
  }

  static concat(clips: readonly AudioClip[]): AudioClip {
    const total = clips.reduce((n, c) => n + c.pcm.length, 0);
    const pcm = new Int16Array(total);
    let offset = 0;
    for (const clip of clips) {
      pcm.set(clip.pcm, offset);
      offset += clip.pcm.length;
    }
    return new AudioClip(pcm);
  }
}

/** Root-mean-square level of PCM, used to tell speech from silence. */
export function rms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / pcm.length);
}
