/**
 * The OzML part of the `voice:` config: which script each call runs
 * (routes), what a caller hears when a script cannot be had (fallback), the
 * app notifications, recordings, and the trunk outbound Call commands use.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { calledNumberPattern } from '../route-match.js';

const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/i, { message: 'expected an http:// or https:// URL' });

export const scriptRouteSchema = z
  .object({
    /** The called number or extension: exact ("1000"), "/regex/" on the called user part, or "*" for any call. */
    match: calledNumberPattern.default('*'),
    /** The app: POST IncomingCall, run the OzML it answers. */
    url: httpUrl.nullable().default(null),
    /** A local OzML file (read on every call, so edits apply to the next call). */
    file: z.string().min(1).nullable().default(null),
    /** How long the app may take to answer IncomingCall. */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** An OzML file run when the app fails (timeout, non-2xx, malformed OzML); else voice.fallback. */
    fallbackFile: z.string().min(1).nullable().default(null),
  })
  .strict()
  .refine((r) => (r.url === null) !== (r.file === null), { message: 'a route needs exactly one of url or file' });

export type ScriptRouteConfig = z.infer<typeof scriptRouteSchema>;

export const ozmlConfigShape = {
  /** First match wins. No routes: every call hears `greeting` (a built-in script). */
  routes: z.array(scriptRouteSchema).default([]),
  /** What a caller hears when the call's script cannot be loaded or parsed; then a clean hang-up. */
  fallback: z
    .object({
      text: z.string().min(1).default('We are sorry, this service is not available right now. Please try again later. Goodbye.'),
      /**
       * Refuse such calls with this SIP status instead of answering them with `text` (480 Temporarily
       * Unavailable, 503 Service Unavailable: the PBX may route the call elsewhere); null: answer.
       */
      refuseWith: z.number().int().min(400).max(699).nullable().default(null),
    })
    .strict()
    .prefault({}),
  notifications: z
    .object({
      /** CallChanged (call states) goes here through the durable callback outbox; null: not sent. */
      callChangedUrl: httpUrl.nullable().default(null),
      /** Timeout of notifications whose reply is OzML run on the call (CallConnected, DtmfEntered, GoTo, RecordCompleted). */
      timeoutMs: z.number().int().min(100).max(60_000).default(5000),
      /** The ApiExtension field of notifications (Ozeki's API extension name). */
      apiExtension: z.string().min(1).default('telenode'),
    })
    .strict()
    .prefault({}),
  recordings: z
    .object({
      /** Where Record writes WAV files. Default: <store dir>/recordings. */
      dir: z.string().nullable().default(null),
      /** RecordURL = publicUrl + "/" + file name; null: RecordURL is "recordings/" + file name (no server path). */
      publicUrl: httpUrl.nullable().default(null),
      /**
       * A recording is not started, and the running ones stop, while the recordings folder's disk has less free than
       * this (MiB; 0: no floor): recordings must not fill the disk the store (by default) shares.
       */
      minFreeMiB: z.number().int().min(0).max(1_048_576).default(1024),
    })
    .strict()
    .prefault({}),
  outbound: z
    .object({
      /** The id of the voice.trunks entry a dialled number goes through (its credentials included). null: Dialed must be a SIP URI. */
      trunk: z.string().trim().min(1).nullable().default(null),
      /** Caller id when the Call command gives none. */
      callerId: z.string().min(1).default('telenode'),
      /** Give up ringing after this long when the Call command has no RingTime. */
      ringSeconds: z.number().int().min(1).max(600).default(60),
    })
    .strict()
    .prefault({}),
};

/** Where Record writes its WAV files: `voice.recordings.dir`, or `recordings/` next to the store. */
export function recordingsDir(recordings: { dir: string | null }, storeDir: string): string {
  return recordings.dir ?? join(storeDir, 'recordings');
}
