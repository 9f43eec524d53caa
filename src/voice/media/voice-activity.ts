/**
 * Whether the caller is speaking, for Record's `Inactivity` (Ozeki: "stop after N seconds of no voice"): a frame
 * of audio holds voice when its mean absolute sample reaches SILENCE_THRESHOLD.
 *
 * The threshold is the one Asterisk's Record and voicemail have used for years (dsp.c, dsp.conf
 * `silencethreshold`, 256 of 32,768: about -42 dBov). Speech on a phone line sits around -20 to -30 dBov, line
 * noise and the comfort noise of RFC 3389 well under -50 dBov, so neither side of it is close to the other. A
 * caller sending no packets at all (silence suppression, a dead line) is silent too: the media clock looks for
 * the end of the silence, not the packets.
 */
export const SILENCE_THRESHOLD = 256;

export function holdsVoice(pcm: Int16Array): boolean {
  if (pcm.length === 0) return false;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += Math.abs(pcm[i]!);
  return sum / pcm.length >= SILENCE_THRESHOLD;
}

/** Silence since the last frame that held voice (or since the watch began), reported once it lasted `afterMs`. */
export class SilenceWatch {
  private lastVoiceAt: number;
  private reported = false;

  constructor(
    private readonly afterMs: number,
    now: number,
  ) {
    this.lastVoiceAt = now;
  }

  heard(pcm: Int16Array, now: number): void {
    if (holdsVoice(pcm)) this.lastVoiceAt = now;
  }

  /** True once, the first time the silence has lasted `afterMs`. */
  expired(now: number): boolean {
    if (this.reported || now - this.lastVoiceAt < this.afterMs) return false;
    this.reported = true;
    return true;
  }
}
