/**
 * Recording a call's audio, for the OzML Record verb and Ozeki's Record command on a live call: the media worker
 * writes the WAV (8 kHz 16-bit mono) into the recordings folder as the audio comes (recording-file.ts), under the
 * name the app will fetch it by, until the duration passes, a finish digit is pressed, the caller has been silent for
 * the Inactivity asked for (voice-activity.ts) or the call ends.
 */
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SAMPLE_RATE } from '../media/audio-clip.js';
import { encodeWav } from '../media/wav.js';
import type { CallSession } from '../call-session.js';
import type { RecordingStore } from './services.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { dropRecordCompletedPromise, writeRecordCompletedPromise, type RecordCompletedPromise } from './record-completed-promise.js';

/** Why a recording stopped; `interrupted`: the node stopped or crashed while it ran (told at the next start). */
export type RecordingStopReason = 'finish-digit' | 'duration' | 'inactivity' | 'disk-full' | 'hangup' | 'interrupted';

export interface SavedRecording {
  path: string;
  /** What the app is given: `<recordings.publicUrl>/<name>`, or `recordings/<name>` (never the server's own path). */
  recordUrl: string;
  seconds: number;
}

/**
 * Resolves when recording should stop: `maxMs` passed, a key of `finishDigits` pressed, the caller silent for the
 * recording's Inactivity, the recordings folder's disk below its floor (disk-floor.ts), or `signal` aborted.
 */
export function waitForRecordingStop(
  session: CallSession,
  signal: AbortSignal,
  started: StartedRecording,
  limits: { maxMs: number; finishDigits: string },
): Promise<{ reason: RecordingStopReason; digit: string | null }> {
  const { maxMs, finishDigits } = limits;
  return new Promise((resolve) => {
    let settled = false;
    const done = (reason: RecordingStopReason, digit: string | null = null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      off();
      started.stopWatchingDisk();
      signal.removeEventListener('abort', onAbort);
      resolve({ reason, digit });
    };
    const timer = setTimeout(() => done('duration'), maxMs);
    const off = session.digits.onDigit((d) => {
      if (finishDigits.includes(d.toUpperCase())) done('finish-digit', d);
    });
    const onAbort = () => done('hangup');
    void started.silence.then(() => done('inactivity'));
    void started.diskFull.then(() => done('disk-full'));
    if (signal.aborted) return done('hangup');
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A recording in progress: where its file goes. */
export interface StartedRecording {
  name: string;
  path: string;
  startedAt: number;
  /** Resolves once the caller has been silent for the Inactivity asked for; never without one. */
  silence: Promise<void>;
  /** Resolves if the recordings folder's disk goes below its floor while this records. */
  diskFull: Promise<void>;
  stopWatchingDisk: () => void;
  /** The RecordCompleted promised when it started, kept on disk until told (null without a FinishedUrl). */
  promise: RecordCompletedPromise | null;
}

/**
 * Start recording the session into `<call id>-<startedAt>.wav` in the recordings folder. `inactivitySeconds`
 * (Ozeki's Inactivity; 0: none) is how long the caller may stay silent before `silence` resolves. The RecordCompleted
 * a FinishedUrl asks for (`promiseFor`, given the RecordURL the recording will have) is on disk before the recording
 * starts (record-completed-promise.ts).
 */
export async function startRecording(
  session: CallSession,
  store: RecordingStore,
  inactivitySeconds = 0,
  promiseFor: ((recordUrl: string) => RecordCompletedPromise) | null = null,
): Promise<StartedRecording> {
  const startedAt = Date.now();
  const name = `${session.info.id}-${startedAt}.wav`;
  mkdirSync(store.dir, { recursive: true });
  await refuseWhenDiskLow(store);
  const path = join(store.dir, name);
  const promise = promiseFor ? promiseFor(recordingReference(store, name)) : null;
  if (promise) await writeRecordCompletedPromise(path, promise);
  let heardSilence = () => {};
  const silence = new Promise<void>((resolve) => (heardSilence = resolve));
  session.startRecording(path, inactivitySeconds > 0 ? { afterMs: inactivitySeconds * 1000, onSilence: () => heardSilence() } : undefined);
  let stopWatchingDisk = () => {};
  const diskFull = new Promise<void>((resolve) => (stopWatchingDisk = store.floor.watch(resolve)));
  return { name, path, startedAt, silence, diskFull, stopWatchingDisk, promise };
}

/**
 * RECORDING_FAILED when the recordings folder's disk has less free than its floor: a node whose callers leave long
 * messages must not fill the disk its store writes to (by default the same one). Checked as each recording starts
 * (off the event loop: a hung network mount must not stop the node); the running ones stop if it goes below later.
 */
async function refuseWhenDiskLow(store: RecordingStore): Promise<void> {
  const { ok, free } = await store.floor.enough();
  if (ok) return;
  const mib = (bytes: number) => Math.floor(bytes / (1024 * 1024));
  throw new AppError(
    ErrorCode.RECORDING_FAILED,
    `not recorded: the recordings folder's disk has ${mib(free)} MiB free, under voice.recordings.minFreeMiB (${mib(store.floor.minFreeBytes)})`,
  );
}

/** Stop the session's recording and wait for its file; a recording of nothing is an empty WAV, so RecordURL names a file. */
export async function saveRecording(session: CallSession, store: RecordingStore, started: StartedRecording): Promise<SavedRecording> {
  try {
    const { samples, file } = await session.stopRecording();
    if (!file) await writeFile(started.path, encodeWav(new Int16Array(0)));
    return { path: started.path, recordUrl: recordingReference(store, started.name), seconds: samples / SAMPLE_RATE };
  } catch (err) {
    // Not recorded (RECORDING_FAILED: the disk, permissions): there is nothing to tell of, so its promise goes now.
    if (started.promise) await dropRecordCompletedPromise(started.path).catch(() => undefined);
    throw err;
  }
}

/** RecordCompleted's own fields (besides the call's), for the verb and the Record command alike. */
export function recordCompletedFields(saved: SavedRecording, reason: RecordingStopReason, digit: string | null): Record<string, string> {
  return { RecordURL: saved.recordUrl, Duration: saved.seconds.toFixed(1), Format: 'wav', FinishDigit: digit ?? '', FinishReason: reason };
}

/** A file in the recordings folder: its plain name, never a path (no separators, no leading dot). */
const RECORDING_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;

/** Whether `name` may be a file of the recordings folder: a plain name, no path, no `..`. */
export function isRecordingName(name: string): boolean {
  return RECORDING_NAME.test(name) && !name.includes('..');
}

/**
 * Where a recording a script names lives: `name`, `recordings/name` (a RecordURL without a public URL) or
 * `<recordings.publicUrl>/name` all mean `<recordings.dir>/name`; anything else (a path, `..`, another folder)
 * is refused, so a script from an app can touch nothing outside the recordings folder.
 */
export function recordingFile(store: RecordingStore, reference: string): { name: string; path: string } {
  const trimmed = reference.trim();
  const base = store.publicUrl?.replace(/\/$/, '');
  const name = base && trimmed.startsWith(`${base}/`) ? trimmed.slice(base.length + 1) : trimmed.replace(/^recordings\//, '');
  if (!isRecordingName(name)) {
    throw new AppError(ErrorCode.RECORDING_NOT_FOUND, `'${reference.slice(0, 100)}' is not a file of the recordings folder`);
  }
  return { name, path: join(store.dir, name) };
}

/** What a script is given for a file of the recordings folder (as RecordURL is). */
export function recordingReference(store: Pick<RecordingStore, 'publicUrl'>, name: string): string {
  return store.publicUrl ? `${store.publicUrl.replace(/\/$/, '')}/${name}` : `recordings/${name}`;
}
