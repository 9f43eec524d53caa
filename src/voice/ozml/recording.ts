/**
 * Recording a call's audio, for the OzML Record verb and Ozeki's Record command on a live call: wait until
 * the duration passes, a finish digit is pressed or the call ends; then write the WAV (8 kHz 16-bit mono)
 * into the recordings folder and name it as the app will fetch it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SAMPLE_RATE } from '../media/audio-clip.js';
import { encodeWav } from '../media/wav.js';
import type { CallSession } from '../call-session.js';
import type { RecordingStore } from './services.js';

export type RecordingStopReason = 'finish-digit' | 'duration' | 'hangup';

export interface SavedRecording {
  path: string;
  /** What the app is given: `<recordings.publicUrl>/<name>`, or `recordings/<name>` (never the server's own path). */
  recordUrl: string;
  seconds: number;
}

/** Resolves when recording should stop: `maxMs` passed, a key of `finishDigits` pressed, or `signal` aborted. */
export function waitForRecordingStop(
  session: CallSession,
  signal: AbortSignal,
  maxMs: number,
  finishDigits: string,
): Promise<{ reason: RecordingStopReason; digit: string | null }> {
  return new Promise((resolve) => {
    const done = (reason: RecordingStopReason, digit: string | null = null) => {
      clearTimeout(timer);
      off();
      signal.removeEventListener('abort', onAbort);
      resolve({ reason, digit });
    };
    const timer = setTimeout(() => done('duration'), maxMs);
    const off = session.digits.onDigit((d) => {
      if (finishDigits.includes(d.toUpperCase())) done('finish-digit', d);
    });
    const onAbort = () => done('hangup');
    if (signal.aborted) return done('hangup');
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Stop the session's recording and write it as `<call id>-<startedAt>.wav` in the recordings folder. */
export async function saveRecording(session: CallSession, store: RecordingStore, startedAt: number): Promise<SavedRecording> {
  const pcm = await session.stopRecording();
  const name = `${session.info.id}-${startedAt}.wav`;
  await mkdir(store.dir, { recursive: true });
  const path = join(store.dir, name);
  await writeFile(path, encodeWav(pcm));
  const recordUrl = store.publicUrl ? `${store.publicUrl.replace(/\/$/, '')}/${name}` : `recordings/${name}`;
  return { path, recordUrl, seconds: pcm.length / SAMPLE_RATE };
}
