/**
 * One call's media: an RTP stream on its own UDP port. Sends whatever is
 * playing (or silence) every 20 ms on the shared clock, receives the caller's
 * audio and RFC 4733 digits, latches onto the address the caller's packets
 * really come from (symmetric RTP, RFC 4961), and records on request.
 *
 * Playback is a queue of clips; `play()` resolves when the clip has been sent
 * or was stopped (hang-up, barge-in, hold does not stop it, it pauses sending).
 */
import type { Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { Logger } from '../../shared/log.js';
import { AudioClip, SAMPLES_PER_FRAME } from './audio-clip.js';
import { decodeG711, G711_SILENCE, type G711Law } from './g711.js';
import { decodeRtp, encodeRtp } from './rtp-packet.js';
import { DtmfDetector, digitToEvent, encodeTelephoneEvent } from './dtmf.js';
import type { ClockSubscriber, MediaClock } from './media-clock.js';

export interface RtpEndpoint {
  address: string;
  port: number;
}

export interface RtpSessionOptions {
  socket: Socket;
  clock: MediaClock;
  remote: RtpEndpoint;
  law: G711Law;
  payloadType: number;
  /** Negotiated telephone-event payload type; null when the peer offered none. */
  dtmfPayloadType: number | null;
  log: Logger;
}

export type PlayOutcome = 'done' | 'stopped';

interface Playback {
  payload: Buffer;
  offset: number;
  resolve: (outcome: PlayOutcome) => void;
}

interface DtmfOut {
  events: number[];
  /** Frames sent for the current digit. */
  frame: number;
  timestamp: number;
  resolve: () => void;
}

const DTMF_TONE_FRAMES = 5; // 100 ms of tone per digit
const DTMF_GAP_FRAMES = 3; // 60 ms of silence between digits
const DTMF_END_REPEATS = 3; // RFC 4733 §2.5.1.4: the end packet is sent three times

export class RtpSession implements ClockSubscriber {
  private remote: RtpEndpoint;
  private latched = false;
  private readonly ssrc = randomInt(1, 0xffffffff);
  private sequence = randomInt(0, 0xffff);
  private timestamp = randomInt(0, 0xffffffff);
  private readonly queue: Playback[] = [];
  private dtmfOut: DtmfOut | null = null;
  private gapFrames = 0;
  private sending = true;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly silence: Buffer;
  private readonly detector: DtmfDetector;
  private recording: Int16Array[] | null = null;
  private readonly digitListeners = new Set<(digit: string) => void>();
  /** Frames sent and received, for stats and tests. */
  readonly counters = { sent: 0, received: 0, dtmfReceived: 0 };

  constructor(private readonly options: RtpSessionOptions) {
    this.remote = options.remote;
    this.silence = Buffer.alloc(SAMPLES_PER_FRAME, G711_SILENCE[options.law]);
    this.detector = new DtmfDetector((digit) => {
      this.counters.dtmfReceived++;
      for (const listener of this.digitListeners) listener(digit);
    });
    options.socket.on('message', (data, rinfo) => this.receive(data, rinfo));
    options.socket.on('error', (err) => options.log.warn({ err }, 'RTP socket error'));
    this.unsubscribe = options.clock.subscribe(this);
  }

  get localPort(): number {
    return this.options.socket.address().port;
  }

  get remoteEndpoint(): RtpEndpoint {
    return this.remote;
  }

  /** Queue a clip; resolves when it has been sent or when playback is stopped. */
  play(clip: AudioClip, signal?: AbortSignal): Promise<PlayOutcome> {
    if (this.closed || signal?.aborted) return Promise.resolve('stopped');
    return new Promise((resolve) => {
      const playback: Playback = { payload: clip.encodedAs(this.options.law), offset: 0, resolve };
      this.queue.push(playback);
      signal?.addEventListener(
        'abort',
        () => {
          const index = this.queue.indexOf(playback);
          if (index >= 0) {
            this.queue.splice(index, 1);
            resolve('stopped');
          }
        },
        { once: true },
      );
    });
  }

  /** Stop everything queued or playing (barge-in, hang-up). */
  stopPlayback(): void {
    for (const playback of this.queue.splice(0)) playback.resolve('stopped');
  }

  get playing(): boolean {
    return this.queue.length > 0;
  }

  /** Send digits as RFC 4733 events; resolves when the last end packet is out. */
  sendDigits(digits: string): Promise<void> {
    if (this.options.dtmfPayloadType === null) return Promise.reject(new Error('the peer did not negotiate telephone-event'));
    const events = [...digits].map(digitToEvent);
    return new Promise((resolve) => {
      this.dtmfOut = { events, frame: 0, timestamp: this.timestamp, resolve };
    });
  }

  onDigit(listener: (digit: string) => void): () => void {
    this.digitListeners.add(listener);
    return () => this.digitListeners.delete(listener);
  }

  /** Pause or resume sending (hold: the peer asked for sendonly/inactive). */
  setSending(sending: boolean): void {
    this.sending = sending;
  }

  /** A re-INVITE moved the peer's media. */
  setRemote(remote: RtpEndpoint): void {
    this.remote = remote;
    this.latched = false;
  }

  startRecording(): void {
    this.recording = [];
  }

  stopRecording(): Int16Array {
    const frames = this.recording ?? [];
    this.recording = null;
    const total = frames.reduce((n, f) => n + f.length, 0);
    const pcm = new Int16Array(total);
    let offset = 0;
    for (const frame of frames) {
      pcm.set(frame, offset);
      offset += frame.length;
    }
    return pcm;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.stopPlayback();
    this.dtmfOut?.resolve();
    this.dtmfOut = null;
    this.digitListeners.clear();
    this.options.socket.removeAllListeners('message');
  }

  /** One 20 ms frame: a DTMF event packet, the next slice of the playing clip, or silence. */
  tick(): void {
    if (this.closed) return;
    if (this.dtmfOut) {
      this.tickDtmf(this.dtmfOut);
      return;
    }
    let payload = this.silence;
    const current = this.queue[0];
    if (current && this.gapFrames === 0) {
      payload = current.payload.subarray(current.offset, current.offset + SAMPLES_PER_FRAME);
      current.offset += SAMPLES_PER_FRAME;
      if (current.offset >= current.payload.length) {
        this.queue.shift();
        current.resolve('done');
      }
    }
    if (this.gapFrames > 0) this.gapFrames--;
    this.send(this.options.payloadType, payload, false, this.timestamp);
    this.timestamp = (this.timestamp + SAMPLES_PER_FRAME) >>> 0;
  }

  private tickDtmf(out: DtmfOut): void {
    const event = out.events[0]!;
    out.frame++;
    const duration = out.frame * SAMPLES_PER_FRAME;
    const end = out.frame >= DTMF_TONE_FRAMES;
    const payload = encodeTelephoneEvent({ event, end, volume: 10, duration });
    const repeats = end ? DTMF_END_REPEATS : 1;
    for (let i = 0; i < repeats; i++) this.send(this.options.dtmfPayloadType!, payload, out.frame === 1, out.timestamp);
    if (end) {
      out.events.shift();
      this.timestamp = (out.timestamp + duration) >>> 0;
      if (out.events.length === 0) {
        this.dtmfOut = null;
        out.resolve();
      } else {
        out.frame = 0;
        out.timestamp = this.timestamp;
      }
      this.gapFrames = DTMF_GAP_FRAMES;
    }
  }

  private send(payloadType: number, payload: Buffer, marker: boolean, timestamp: number): void {
    if (!this.sending || !validPort(this.remote.port)) return;
    const packet = encodeRtp({ payloadType, marker, sequence: this.sequence, timestamp, ssrc: this.ssrc, payload });
    this.sequence = (this.sequence + 1) & 0xffff;
    this.counters.sent++;
    try {
      this.options.socket.send(packet, this.remote.port, this.remote.address);
    } catch (err) {
      // A peer's bad address must cost its own media, never the process.
      this.options.log.warn({ err, remote: this.remote }, 'RTP send failed');
      this.sending = false;
    }
  }

  private receive(data: Buffer, rinfo: { address: string; port: number }): void {
    const packet = decodeRtp(data);
    if (!packet) return;
    if (!this.latched && validPort(rinfo.port)) {
      // Symmetric RTP: answer to where the caller's packets come from, which NAT may have changed.
      this.latched = true;
      if (rinfo.address !== this.remote.address || rinfo.port !== this.remote.port) {
        this.options.log.debug({ from: `${rinfo.address}:${rinfo.port}`, sdp: `${this.remote.address}:${this.remote.port}` }, 'RTP latched to source address');
        this.remote = { address: rinfo.address, port: rinfo.port };
      }
    }
    this.counters.received++;
    if (packet.payloadType === this.options.dtmfPayloadType) {
      this.detector.packet(packet.ssrc, packet.timestamp, packet.payload);
      return;
    }
    if (packet.payloadType === this.options.payloadType && this.recording) {
      this.recording.push(decodeG711(this.options.law, packet.payload));
    }
  }
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < 65536;
}
