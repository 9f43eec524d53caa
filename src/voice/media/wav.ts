/**
 * WAV in and out through the `wavefile` package: any PCM or G.711 WAV is
 * read, mixed to mono, resampled (cubic with a low-pass filter) to 8 kHz
 * 16-bit; recordings are written as 8 kHz 16-bit mono.
 */
import wavefile from 'wavefile';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { AudioClip, SAMPLE_RATE } from './audio-clip.js';

const { WaveFile } = wavefile;

interface FmtChunk {
  numChannels: number;
  sampleRate: number;
  audioFormat: number;
}

export function decodeWav(bytes: Uint8Array, source = 'WAV'): AudioClip {
  let wav: InstanceType<typeof WaveFile>;
  try {
    wav = new WaveFile(bytes);
  } catch (err) {
    throw new AppError(ErrorCode.MEDIA_UNREADABLE, `${source}: not a readable WAV file (${(err as Error).message})`, { cause: err });
  }
  const fmt = wav.fmt as FmtChunk;
  try {
    if (fmt.audioFormat === 7) wav.fromMuLaw();
    else if (fmt.audioFormat === 6) wav.fromALaw();
    if (wav.bitDepth !== '16') wav.toBitDepth('16');
    if (fmt.sampleRate !== SAMPLE_RATE) wav.toSampleRate(SAMPLE_RATE, { method: 'cubic', LPF: true });
  } catch (err) {
    throw new AppError(ErrorCode.MEDIA_UNREADABLE, `${source}: cannot convert to 8 kHz (${(err as Error).message})`, { cause: err });
  }
  const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
  if (!Array.isArray(samples) && fmt.numChannels === 1) return new AudioClip(samples);
  // Several channels: wavefile returns one array per channel; mix them down.
  const channels = Array.isArray(samples) ? samples : [samples];
  const mono = new Int16Array(channels[0]!.length);
  for (let i = 0; i < mono.length; i++) {
    let sum = 0;
    for (const channel of channels) sum += channel[i]!;
    mono[i] = Math.round(sum / channels.length);
  }
  return new AudioClip(mono);
}

export function encodeWav(pcm: Int16Array): Buffer {
  const wav = new WaveFile();
  wav.fromScratch(1, SAMPLE_RATE, '16', pcm);
  return Buffer.from(wav.toBuffer());
}
