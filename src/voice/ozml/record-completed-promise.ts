/**
 * A RecordCompleted the app was promised, kept on disk beside the recording until the callback outbox holds it.
 *
 * A Record with a FinishedUrl promises the app a RecordCompleted. The notification's URL and the call's fields die
 * with the script when the node stops or crashes mid-recording, and the recording is then finished at the next start
 * (interrupted-recordings.ts) with nobody told. So before the recording starts, what the notification will say apart
 * from the recording's own fields is written to `<name>.wav.notify` (fsynced: it is the promise). It is removed once
 * the notification is stored in the durable callback outbox (or, on a call still up, once the app has been asked).
 * At start, after the cut-short recordings are finished, each `.notify` left is kept (interrupted-recordings.ts): its
 * RecordCompleted goes through the callback outbox with `FinishReason` `interrupted` and the audio the file holds,
 * then the file goes. A crash between the two sends it again at the following start: at least once, as every
 * callback.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import type { CallEvents } from './services.js';

/** What RecordCompleted will say besides the recording's own fields (RecordURL, Duration, …), and where it goes. */
export interface RecordCompletedPromise {
  url: string;
  /** NotificationName and the call's fields, as known when the recording starts (they do not change). */
  fields: Record<string, string>;
  /** The callback outbox's ordering key: the call's. */
  orderKey: string;
}

/** A promise's file is its recording's name and this: `<call id>-<start ms>.wav.notify`. */
export const PROMISE_SUFFIX = '.notify';

/** The promise's file beside the recording at `recordingPath`. */
function promisePath(recordingPath: string): string {
  return `${recordingPath}${PROMISE_SUFFIX}`;
}

/** The promise left beside the recording at `recordingPath`. */
export async function readRecordCompletedPromise(recordingPath: string): Promise<RecordCompletedPromise> {
  return JSON.parse(await readFile(promisePath(recordingPath), 'utf8')) as RecordCompletedPromise;
}

/** Writes the promise for the recording at `recordingPath`, on disk (fsynced) before it resolves. */
export async function writeRecordCompletedPromise(recordingPath: string, promise: RecordCompletedPromise): Promise<void> {
  const file = await open(promisePath(recordingPath), 'w', 0o600);
  try {
    await file.writeFile(JSON.stringify(promise));
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** Hands RecordCompleted to the durable callback outbox; once it is stored the promise's file goes (kept if not). */
export async function notifyRecordCompleted(
  events: CallEvents,
  recordingPath: string,
  promise: RecordCompletedPromise,
  recordingFields: Record<string, string>,
): Promise<void> {
  if (await events.notify(promise.url, { ...promise.fields, ...recordingFields }, promise.orderKey)) await dropRecordCompletedPromise(recordingPath);
}

/** The promise is kept (the notification stored, or the app asked): its file goes. */
export async function dropRecordCompletedPromise(recordingPath: string): Promise<void> {
  await unlink(promisePath(recordingPath)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
