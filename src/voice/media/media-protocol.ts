/**
 * The messages between the main thread (MediaHost, RtpSession) and the media
 * worker (MediaThread), which owns the RTP ports, the sockets and the clock.
 * See docs/decisions/0097-media-worker.md.
 *
 * `id` names one bound port and, once opened, the call's RTP stream on it; the
 * main thread picks it, so a late message about a released port can never be
 * mistaken for the next call on the same port number. One message port carries
 * everything, so a call's messages arrive in the order they were posted in
 * both directions (a digit is seen before the `played` that follows it).
 */
import type { G711Law } from './g711.js';
import type { ErrorCode } from '../../shared/errors.js';

export interface RtpEndpoint {
  address: string;
  port: number;
}

/** What the worker needs at start-up (workerData). */
export interface MediaWorkerConfig {
  /** Address the RTP sockets bind to. */
  host: string;
  portMin: number;
  portMax: number;
  /** How often pacing samples and counters are posted back. */
  statsIntervalMs: number;
  /** Nice value the worker thread asks for; 0 leaves it as it is. */
  nice: number;
}

export interface StreamOptions {
  remote: RtpEndpoint;
  law: G711Law;
  payloadType: number;
  /** Negotiated telephone-event payload type; null when the peer offered none. */
  dtmfPayloadType: number | null;
  sending: boolean;
  /**
   * Hosts besides the SDP's that the caller's RTP may come from (the host the call's signalling came from);
   * null: any host (voice.rtp.acceptFrom any-host). See RtpStream.
   */
  callerHosts: string[] | null;
}

/** Main thread → worker. */
export type HostMessage =
  | { op: 'bind'; id: number }
  | { op: 'open'; id: number; options: StreamOptions }
  /** `payload` is G.711 in the stream's law, whole frames; its memory may be shared (AudioClip), never written. */
  | { op: 'play'; id: number; clip: number; payload: Uint8Array }
  | { op: 'cancel'; id: number; clip: number }
  | { op: 'stopPlayback'; id: number }
  /** RFC 4733 event codes, checked on the main thread. */
  | { op: 'sendDigits'; id: number; request: number; events: number[] }
  | { op: 'setSending'; id: number; sending: boolean }
  | { op: 'setRemote'; id: number; remote: RtpEndpoint }
  /**
   * Record the caller's audio into a WAV file at `path` (written by the worker as it comes); with `silenceMs`, a
   * 'silence' event naming `request` once the caller has not spoken for that long (Record's Inactivity).
   */
  | { op: 'startRecording'; id: number; request: number; path: string; silenceMs: number | null }
  | { op: 'stopRecording'; id: number; request: number }
  /** Stop the stream; the port stays bound until `release`. */
  | { op: 'close'; id: number }
  | { op: 'release'; id: number };

/** Worker → main thread. */
export type WorkerMessage =
  /** Started; `nice` is the priority the thread got, `niceError` why it could not get the one asked for. */
  | { ev: 'ready'; nice: number; niceError: string | null }
  | { ev: 'bound'; id: number; port: number }
  | { ev: 'bindFailed'; id: number; code: ErrorCode; message: string }
  /** The port is closed; the worker will say nothing more about this id. */
  | { ev: 'released'; id: number }
  /** A clip was sent to its end (clips stopped early are settled by the main thread). */
  | { ev: 'played'; id: number; clip: number }
  | { ev: 'digitsSent'; id: number; request: number }
  | { ev: 'digit'; id: number; digit: string }
  /** Symmetric RTP moved the stream to where the caller's packets come from. */
  | { ev: 'latched'; id: number; remote: RtpEndpoint }
  /** The caller has been silent for the `silenceMs` the startRecording `request` asked for. */
  | { ev: 'silence'; id: number; request: number }
  /**
   * A recording ended: `samples` written to its WAV file; `file` false when none was started (nothing written);
   * `error` when the file could not be written (it is then removed).
   */
  | { ev: 'recording'; id: number; request: number; samples: number; file: boolean; error: string | null }
  /** For the main thread's log: the worker has no logger of its own. */
  | { ev: 'warn'; id: number | null; message: string; details: Record<string, unknown> }
  | { ev: 'stats'; pacing: PacingBatch; counters: Float64Array };

/**
 * Pacing error of each served sub-tick since the last batch, in ms: how late
 * the first and the last packet of the sub-tick left (see MediaClock.onTick).
 */
export interface PacingBatch {
  first: Float64Array<ArrayBuffer>;
  last: Float64Array<ArrayBuffer>;
}

/** `counters` in a stats message: a flat list of (id, sent, received, dropped) records. */
export const COUNTER_FIELDS = 4;
