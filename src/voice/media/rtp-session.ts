/**
 * One call's media as the main thread sees it: the RTP stream itself runs in
 * the media worker (rtp-stream.ts); this object posts the call's commands
 * there and turns the worker's answers back into promises and listeners.
 *
 * Playback is a queue of clips; `play()` resolves when the clip has been sent
 * or was stopped (hang-up, barge-in; hold does not stop it, it pauses sending).
 * Stopping settles a clip here at once and tells the worker to drop it, so a
 * hang-up never waits for a round trip to the worker.
 */
import type { Transferable } from 'node:worker_threads';
import type { Logger } from '../../shared/log.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { AudioClip } from './audio-clip.js';
import type { G711Law } from './g711.js';
import { digitToEvent } from './dtmf.js';
import type { HostMessage, RtpEndpoint } from './media-protocol.js';

/** A recording that ended: the samples its WAV file holds; `file` false when nothing was recorded (no file made). */
export interface RecordingResult {
  samples: number;
  file: boolean;
}

const NOTHING_RECORDED: RecordingResult = { samples: 0, file: false };

export type { RtpEndpoint } from './media-protocol.js';

export interface RtpSessionOptions {
  remote: RtpEndpoint;
  law: G711Law;
  payloadType: number;
  /** Negotiated telephone-event payload type; null when the peer offered none. */
  dtmfPayloadType: number | null;
  /** False when the call starts on hold (the offer was sendonly/inactive). */
  sending?: boolean;
  /** Hosts besides the SDP's the caller's RTP may come from; null: any (StreamOptions.callerHosts). Default none. */
  callerHosts?: string[] | null;
  log: Logger;
}

export type PlayOutcome = 'done' | 'stopped';

/** Record's Inactivity: `onSilence` is called once the caller has not spoken for `afterMs` (voice-activity.ts). */
export interface RecordingInactivity {
  afterMs: number;
  onSilence: () => void;
}

/** How a session talks to the worker (MediaHost provides it). */
export type PostToWorker = (message: HostMessage, transfer?: Transferable[]) => void;

export class RtpSession {
  /** Where our RTP goes: the SDP's endpoint until the worker latches onto where the caller's packets come from. */
  private remote: RtpEndpoint;
  /** The SDP's endpoint, last offered. */
  private signalled: RtpEndpoint;
  private closed = false;
  private failure: AppError | null = null;
  private recording = false;
  /** The recording still running when the session closed, for a stopRecording() after the hang-up. */
  private recordingAtClose: Promise<RecordingResult> | null = null;
  /** The running recording's Inactivity listener, and its request number (a late event of an earlier one is not its). */
  private silenceListener: { request: number; onSilence: () => void } | null = null;
  private nextRequest = 1;
  private readonly plays = new Map<number, (outcome: PlayOutcome) => void>();
  private readonly digitsSent = new Map<number, () => void>();
  private readonly recordings = new Map<number, (result: RecordingResult | AppError) => void>();
  private readonly digitListeners = new Set<(digit: string) => void>();
  private readonly failureListeners = new Set<(err: AppError) => void>();
  /**
   * Frames sent and received, for stats and tests. `sent`, `received` and
   * `dropped` (RTP from outside the call, see RtpStream) are counted in the
   * worker and arrive with its stats batch, so they lag by up to one batch
   * interval; `dtmfReceived` is counted here.
   */
  readonly counters = { sent: 0, received: 0, dropped: 0, dtmfReceived: 0 };

  constructor(
    private readonly post: PostToWorker,
    private readonly id: number,
    /** The bound RTP port (ours, as written in our SDP). */
    readonly localPort: number,
    private readonly options: RtpSessionOptions,
  ) {
    this.remote = options.remote;
    this.signalled = options.remote;
    post({
      op: 'open',
      id,
      options: {
        remote: options.remote,
        law: options.law,
        payloadType: options.payloadType,
        dtmfPayloadType: options.dtmfPayloadType,
        sending: options.sending ?? true,
        callerHosts: options.callerHosts === undefined ? [] : options.callerHosts,
      },
    });
  }

  get remoteEndpoint(): RtpEndpoint {
    return this.remote;
  }

  /** Queue a clip; resolves when it has been sent or when playback is stopped. */
  play(clip: AudioClip, signal?: AbortSignal): Promise<PlayOutcome> {
    if (this.closed || signal?.aborted) return Promise.resolve('stopped');
    const clipId = this.nextRequest++;
    const payload = shareable(clip.encodedAs(this.options.law));
    return new Promise((resolve) => {
      const onAbort = () => {
        if (this.settlePlay(clipId, 'stopped')) this.post({ op: 'cancel', id: this.id, clip: clipId });
      };
      this.plays.set(clipId, (outcome) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.post({ op: 'play', id: this.id, clip: clipId, payload });
    });
  }

  /** Stop everything queued or playing (barge-in, hang-up). */
  stopPlayback(): void {
    if (this.plays.size === 0) return;
    for (const clipId of [...this.plays.keys()]) this.settlePlay(clipId, 'stopped');
    if (!this.closed) this.post({ op: 'stopPlayback', id: this.id });
  }

  get playing(): boolean {
    return this.plays.size > 0;
  }

  /** Send digits as RFC 4733 events; resolves when the last end packet is out. */
  sendDigits(digits: string): Promise<void> {
    if (this.options.dtmfPayloadType === null) return Promise.reject(new AppError(ErrorCode.CALL_NO_DTMF, 'the peer did not negotiate telephone-event'));
    const events = [...digits].map(digitToEvent);
    if (this.closed) return Promise.resolve();
    const request = this.nextRequest++;
    return new Promise((resolve) => {
      this.digitsSent.set(request, resolve);
      this.post({ op: 'sendDigits', id: this.id, request, events });
    });
  }

  onDigit(listener: (digit: string) => void): () => void {
    this.digitListeners.add(listener);
    return () => this.digitListeners.delete(listener);
  }

  /** The media worker died: the call cannot have media any more and should end. Heard at once if it already happened. */
  onFailure(listener: (err: AppError) => void): () => void {
    const failure = this.failure;
    if (failure) {
      queueMicrotask(() => listener(failure));
      return () => undefined;
    }
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** Pause or resume sending (hold: the peer asked for sendonly/inactive). */
  setSending(sending: boolean): void {
    if (!this.closed) this.post({ op: 'setSending', id: this.id, sending });
  }

  /** A re-INVITE's SDP. The same endpoint again keeps the latch, in the worker (RtpStream.setRemote) and here. */
  setRemote(remote: RtpEndpoint): void {
    if (remote.address === this.signalled.address && remote.port === this.signalled.port) return;
    this.signalled = remote;
    this.remote = remote;
    if (!this.closed) this.post({ op: 'setRemote', id: this.id, remote });
  }

  /**
   * Record the caller's audio into a WAV file at `path`, which the worker writes as the audio comes; with
   * `inactivity`, its listener hears when the caller has been silent for its `afterMs`.
   */
  startRecording(path: string, inactivity?: RecordingInactivity): void {
    if (this.closed) return;
    this.recording = true;
    const request = this.nextRequest++;
    this.silenceListener = inactivity ? { request, onSilence: inactivity.onSilence } : null;
    this.post({ op: 'startRecording', id: this.id, request, path, silenceMs: inactivity?.afterMs ?? null });
  }

  /**
   * Ends the recording started by startRecording(): resolves once its WAV file is complete, also after the call
   * ended (what was recorded until then); `file` is false when nothing was recorded (no file was made). Rejects
   * with RECORDING_FAILED when the file could not be written.
   */
  stopRecording(): Promise<RecordingResult> {
    if (this.recordingAtClose) {
      const result = this.recordingAtClose;
      this.recordingAtClose = null;
      return result;
    }
    this.silenceListener = null;
    if (!this.recording || this.closed) return Promise.resolve(NOTHING_RECORDED);
    this.recording = false;
    const request = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.recordings.set(request, (result) => (result instanceof AppError ? reject(result) : resolve(result)));
      this.post({ op: 'stopRecording', id: this.id, request });
    });
  }

  close(): void {
    if (this.closed) return;
    // Asked before the close, so the worker answers with the recording before it stops the stream.
    if (this.recording) {
      this.recordingAtClose = this.stopRecording();
      this.recordingAtClose.catch(() => undefined); // whoever asks for it hears the failure; nobody may ask
    }
    this.post({ op: 'close', id: this.id });
    this.closed = true;
    this.stopPlayback();
    this.settleDigits();
    this.digitListeners.clear();
  }

  /** Called by MediaHost when the worker died: everything pending settles, then the failure listeners hear it. */
  fail(err: AppError): void {
    const wasClosed = this.closed;
    this.closed = true;
    this.recording = false;
    this.stopPlayback();
    this.settleDigits();
    for (const [request, settle] of this.recordings) {
      this.recordings.delete(request);
      settle(new AppError(ErrorCode.RECORDING_FAILED, `the recording was lost: ${err.message}`, { cause: err }));
    }
    this.digitListeners.clear();
    if (wasClosed) return;
    this.failure = err;
    for (const listener of this.failureListeners) listener(err);
    this.failureListeners.clear();
  }

  // --- from the worker, routed by MediaHost ---

  played(clipId: number): void {
    this.settlePlay(clipId, 'done');
  }

  digitsDone(request: number): void {
    const resolve = this.digitsSent.get(request);
    this.digitsSent.delete(request);
    resolve?.();
  }

  digit(digit: string): void {
    this.counters.dtmfReceived++;
    for (const listener of this.digitListeners) listener(digit);
  }

  latched(remote: RtpEndpoint): void {
    this.options.log.debug({ from: `${remote.address}:${remote.port}`, sdp: `${this.remote.address}:${this.remote.port}` }, 'RTP latched to source address');
    this.remote = remote;
  }

  /** The worker heard no voice for the Inactivity of recording `request`. */
  silent(request: number): void {
    const listener = this.silenceListener;
    if (listener?.request !== request) return;
    this.silenceListener = null;
    listener.onSilence();
  }

  recorded(request: number, ended: { samples: number; file: boolean; error: string | null }): void {
    const settle = this.recordings.get(request);
    this.recordings.delete(request);
    settle?.(
      ended.error === null
        ? { samples: ended.samples, file: ended.file }
        : new AppError(ErrorCode.RECORDING_FAILED, `the recording could not be written: ${ended.error}`),
    );
  }

  warn(message: string, details: Record<string, unknown>): void {
    this.options.log.warn(details, message);
  }

  private settlePlay(clipId: number, outcome: PlayOutcome): boolean {
    const settle = this.plays.get(clipId);
    if (!settle) return false;
    this.plays.delete(clipId);
    settle(outcome);
    return true;
  }

  private settleDigits(): void {
    for (const request of [...this.digitsSent.keys()]) this.digitsDone(request);
  }
}

/**
 * A clip's encoding as it crosses to the worker. AudioClip keeps it in shared
 * memory, which postMessage passes without copying; any other buffer is copied
 * into one of its own (a Buffer from Node's pool would drag the whole pool along).
 */
function shareable(encoded: Buffer): Uint8Array {
  if (encoded.buffer instanceof SharedArrayBuffer) return encoded;
  return new Uint8Array(encoded);
}
