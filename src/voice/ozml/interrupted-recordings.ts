/**
 * Recordings a stop or crash cut short. The media worker writes a recording to `<name>.wav.part` as it comes and
 * writes the header and renames it when the recording ends (recording-file.ts); a node killed mid-call leaves the
 * `.part`, its audio up to the last second written and no header. At start, before any call, each one is finished as
 * the worker would have: its header written for the audio it holds and the file renamed, so the caller's message is
 * kept and listed (the console's Recordings) like any other. The recordings folder is the node's own (docs/cluster.md),
 * so nothing else can be writing these files. Then the RecordCompleted each was promised (record-completed-promise.ts)
 * goes to the app, saying `interrupted`.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, readdirSync, renameSync, statSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/log.js';
import { SAMPLE_RATE } from '../media/audio-clip.js';
import { pcmWavHeader, WAV_HEADER_BYTES } from '../media/recording-file.js';
import { PROMISE_SUFFIX, dropRecordCompletedPromise, readRecordCompletedPromise } from './record-completed-promise.js';
import { isRecordingName, recordCompletedFields, recordingReference } from './recording.js';
import type { CallEvents, RecordingStore } from './services.js';

/**
 * The recordings folder's names, read once at start for both steps below (a folder of many recordings is one
 * synchronous read before any call); none when there is no folder yet.
 */
export function listRecordingsFolder(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return []; // no recordings folder yet
  }
}

/** Finish every `.part` recording in `dir` (`names`: its listing); returns the names of the recordings finished. */
export function finishInterruptedRecordings(dir: string, log: Logger, names = listRecordingsFolder(dir)): string[] {
  const finished: string[] = [];
  for (const name of names) {
    const recording = name.slice(0, -'.part'.length);
    if (!name.endsWith('.wav.part') || !isRecordingName(recording)) continue;
    try {
      const samples = finishPart(join(dir, name));
      renameSync(join(dir, name), join(dir, recording));
      finished.push(recording);
      log.warn({ file: recording, seconds: Number((samples / SAMPLE_RATE).toFixed(1)) }, 'a recording cut short by a stop or crash was finished');
    } catch (err) {
      log.warn({ err, file: name }, 'a recording cut short by a stop or crash could not be finished');
    }
  }
  return finished;
}

/** Writes the header for the whole samples the file holds (a torn last write's odd byte is dropped); returns them. */
function finishPart(path: string): number {
  const samples = Math.max(0, Math.floor((statSync(path).size - WAV_HEADER_BYTES) / 2));
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, WAV_HEADER_BYTES + samples * 2);
    writeSync(fd, pcmWavHeader(samples), 0, WAV_HEADER_BYTES, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return samples;
}

/**
 * Sends the RecordCompleted of every promise left in the recordings folder (`names`: its listing, finishing the
 * `.part` files does not change which promises it holds); returns how many went to the callback outbox. Called after
 * the cut-short recordings were finished and before any call, with the folder read before that: a call's recording
 * started meanwhile is not taken for one the last run left. A promise whose recording is gone (it could not be
 * written, or a script deleted it) is dropped with a warning: there is nothing to tell of.
 */
export async function keepInterruptedRecordCompletedPromises(
  store: Pick<RecordingStore, 'dir' | 'publicUrl'>,
  events: CallEvents,
  log: Logger,
  names = listRecordingsFolder(store.dir),
): Promise<number> {
  let sent = 0;
  for (const promiseName of names) {
    const name = promiseName.slice(0, -PROMISE_SUFFIX.length);
    if (!promiseName.endsWith(`.wav${PROMISE_SUFFIX}`) || !isRecordingName(name)) continue;
    const path = join(store.dir, name);
    try {
      const kept = await keepPromise(store, name, path, events, log);
      if (kept === 'sent') sent++;
      else if (kept === 'no-recording') log.warn({ file: name }, 'a RecordCompleted promised for a recording that is gone was dropped');
      else log.warn({ file: promiseName }, 'a RecordCompleted promise cut short as it was written was dropped');
      await dropRecordCompletedPromise(path);
    } catch (err) {
      log.warn({ err, file: promiseName }, 'a RecordCompleted cut short by a stop or crash could not be sent; tried again at the next start');
    }
  }
  return sent;
}

/**
 * `sent` once the notification is stored; `no-recording` when the recording is not there; `unreadable` when the
 * promise is not whole (the node died while writing it, before the recording started). Throws when it could not
 * be stored.
 */
async function keepPromise(
  store: Pick<RecordingStore, 'dir' | 'publicUrl'>,
  name: string,
  path: string,
  events: CallEvents,
  log: Logger,
): Promise<'sent' | 'no-recording' | 'unreadable'> {
  const size = await stat(path).then(
    (s) => s.size,
    () => null,
  );
  if (size === null) return 'no-recording';
  const promise = await readRecordCompletedPromise(path).catch((err: unknown) => {
    if (err instanceof SyntaxError) return null;
    throw err;
  });
  if (!promise) return 'unreadable';
  const seconds = Math.max(0, Math.floor((size - WAV_HEADER_BYTES) / 2)) / SAMPLE_RATE;
  const fields = recordCompletedFields({ path, recordUrl: recordingReference(store, name), seconds }, 'interrupted', null);
  if (!(await events.notify(promise.url, { ...promise.fields, ...fields }, promise.orderKey))) throw new Error('the callback outbox did not take it');
  log.warn({ file: name, url: promise.url }, 'the RecordCompleted of a recording cut short by a stop or crash was sent');
  return 'sent';
}
