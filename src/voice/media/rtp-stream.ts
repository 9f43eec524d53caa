/**
 * One call's RTP inside the media worker: sends whatever is playing (or
 * silence, or RFC 4733 digits) every 20 ms on the shared clock, receives the
 * caller's audio and digits, latches onto the address the caller's packets
 * really come from (symmetric RTP, RFC 4961), and records on request.
 *
 * Only a host the call names may be latched onto: the SDP's, or the one its
 * signalling came from (a caller behind NAT sends from its public address,
 * not the private one in its SDP). Anything else is dropped, before and after
 * the latch: RTP ports are a known range, and a stranger's first packet would
 * otherwise have taken the caller's audio (prompts that read out receipts and
 * codes), and a stranger's RFC 4733 events would have been the caller's
 * digits. `StreamOptions.callerHosts` null restores latching onto anyone
 * (`voice.rtp.acceptFrom: any-host`).
 *
 * It knows nothing of promises or loggers: what the main thread must hear
 * (a clip played out, a digit, a latch, a warning) goes out through
 * `StreamEvents`, and the main thread's RtpSession turns it into the API
 * calls use.
 */
import type { Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SAMPLES_PER_FRAME } from './audio-clip.js';
import { decodeG711, G711_SILENCE } from './g711.js';
import { decodeRtp, encodeRtp } from './rtp-packet.js';
import { unmappedIPv4 } from '../../shared/ip-address.js';
import { DtmfDetector, encodeTelephoneEvent } from './dtmf.js';
import type { ClockSubscriber, MediaClock } from './media-clock.js';
import type { RtpEndpoint, StreamOptions } from './media-protocol.js';
import { RecordingFile } from './recording-file.js';
import { SilenceWatch } from './voice-activity.js';

export interface StreamEvents {
  played(clip: number): void;
  digitsSent(request: number): void;
  digit(digit: string): void;
  latched(remote: RtpEndpoint): void;
  /** The caller has been silent for the `silenceMs` of the recording `request` started (reported once). */
  silence(request: number): void;
  warn(message: string, details: Record<string, unknown>): void;
}

interface Playback {
  clip: number;
  payload: Buffer;
  offset: number;
}

interface DtmfOut {
  request: number;
  events: number[];
  /** Frames sent for the current digit. */
  frame: number;
  /** RTP timestamp of the current digit; null until its first frame. */
  timestamp: number | null;
}

const DTMF_TONE_FRAMES = 5; // 100 ms of tone per digit
const DTMF_GAP_FRAMES = 3; // 60 ms of silence between digits
const DTMF_END_REPEATS = 3; // RFC 4733 §2.5.1.4: the end packet is sent three times
const SAMPLE_RATE = 8000; // G.711: one octet a sample (RFC 3551 §4.5.14)
const RECORDING_SLACK_SECONDS = 1;

export class RtpStream implements ClockSubscriber {
  /** The SDP's endpoint: where we send until the caller's first packet says where it really is. */
  private signalled: RtpEndpoint;
  /** Where the caller's packets come from; null until the first one from a host the call names. */
  private latchedTo: RtpEndpoint | null = null;
  private strangerReported = false;
  private readonly ssrc = randomInt(1, 0xffffffff);
  private sequence = randomInt(0, 0xffff);
  private timestamp = randomInt(0, 0xffffffff);
  private readonly queue: Playback[] = [];
  /** Digit strings to send, one after the other. */
  private readonly dtmfOut: DtmfOut[] = [];
  private gapFrames = 0;
  private sending: boolean;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly silence: Buffer;
  private readonly detector: DtmfDetector;
  private recording: RecordingFile | null = null;
  /** When the recording started (performance.now()) and the samples it holds: no faster than real time. */
  private recordingSince = 0;
  private recordedSamples = 0;
  /** Record's Inactivity: silence since the caller last spoke; null when the recording does not stop on silence. */
  private silenceWatch: SilenceWatch | null = null;
  /** The main thread's number for the running recording, named in its silence event. */
  private recordingRequest = 0;
  /** received: the caller's packets; dropped: RTP from anywhere else. */
  readonly counters = { sent: 0, received: 0, dropped: 0 };
  private readonly onMessage = (data: Buffer, rinfo: { address: string; port: number }) => this.receive(data, rinfo);

  constructor(
    private readonly socket: Socket,
    clock: MediaClock,
    private readonly options: StreamOptions,
    private readonly events: StreamEvents,
  ) {
    this.signalled = options.remote;
    this.sending = options.sending;
    this.silence = Buffer.alloc(SAMPLES_PER_FRAME, G711_SILENCE[options.law]);
    this.detector = new DtmfDetector((digit) => events.digit(digit));
    socket.on('message', this.onMessage);
    this.unsubscribe = clock.subscribe(this);
  }

  play(clip: number, payload: Buffer): void {
    if (!this.closed) this.queue.push({ clip, payload, offset: 0 });
  }

  /** Drop one clip, playing or queued (the main thread has already settled it). */
  cancel(clip: number): void {
    const index = this.queue.findIndex((p) => p.clip === clip);
    if (index >= 0) this.queue.splice(index, 1);
  }

  stopPlayback(): void {
    this.queue.length = 0;
  }

  sendDigits(request: number, events: number[]): void {
    if (this.closed || events.length === 0) this.events.digitsSent(request);
    else this.dtmfOut.push({ request, events: [...events], frame: 0, timestamp: null });
  }

  setSending(sending: boolean): void {
    this.sending = sending;
  }

  /** A re-INVITE's SDP. The same endpoint again (a session refresh, hold and resume) keeps the latch. */
  setRemote(remote: RtpEndpoint): void {
    if (sameEndpoint(remote, this.signalled)) return;
    this.signalled = remote;
    this.latchedTo = null;
  }

  /**
   * Record the caller's audio into a WAV file at `path` (written as it comes, recording-file.ts); with `silenceMs`,
   * `events.silence(request)` once the caller has not spoken for that long.
   */
  startRecording(path: string, silenceMs: number | null, request: number): void {
    this.recordingRequest = request;
    this.recording = new RecordingFile(path);
    this.recordingSince = performance.now();
    this.recordedSamples = 0;
    this.silenceWatch = silenceMs === null ? null : new SilenceWatch(silenceMs, this.recordingSince);
  }

  /** Ends the recording; resolves with the samples written to its file (0, and no file, when none was started). */
  stopRecording(): Promise<{ samples: number; file: boolean }> {
    const recording = this.recording;
    this.recording = null;
    this.silenceWatch = null;
    if (!recording) return Promise.resolve({ samples: 0, file: false });
    return recording.finish().then((samples) => ({ samples, file: true }));
  }

  /** Stop sending and receiving; digits still owed are reported sent, so nobody waits for them. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.queue.length = 0;
    for (const out of this.dtmfOut.splice(0)) this.events.digitsSent(out.request);
    this.socket.off('message', this.onMessage);
    // Nobody asked for it (the main thread asks before it closes): the file is finished all the same, not left open.
    if (this.recording) void this.stopRecording().catch(() => undefined);
  }

  /** One 20 ms frame: a DTMF event packet, the next slice of the playing clip, or silence. */
  tick(): void {
    if (this.closed) return;
    // On the clock, not on packets: a caller who sends none (silence suppression, a dead line) is silent too.
    if (this.silenceWatch?.expired(performance.now())) this.events.silence(this.recordingRequest);
    const dtmf = this.dtmfOut[0];
    if (dtmf) {
      this.tickDtmf(dtmf);
      return;
    }
    let payload = this.silence;
    const current = this.queue[0];
    if (current && this.gapFrames === 0) {
      payload = current.payload.subarray(current.offset, current.offset + SAMPLES_PER_FRAME);
      current.offset += SAMPLES_PER_FRAME;
      if (current.offset >= current.payload.length) {
        this.queue.shift();
        this.events.played(current.clip);
      }
    }
    if (this.gapFrames > 0) this.gapFrames--;
    this.send(this.options.payloadType, payload, false, this.timestamp);
    this.timestamp = (this.timestamp + SAMPLES_PER_FRAME) >>> 0;
  }

  private tickDtmf(out: DtmfOut): void {
    const event = out.events[0]!;
    const timestamp = (out.timestamp ??= this.timestamp);
    out.frame++;
    const duration = out.frame * SAMPLES_PER_FRAME;
    const end = out.frame >= DTMF_TONE_FRAMES;
    const payload = encodeTelephoneEvent({ event, end, volume: 10, duration });
    const repeats = end ? DTMF_END_REPEATS : 1;
    for (let i = 0; i < repeats; i++) this.send(this.options.dtmfPayloadType!, payload, out.frame === 1, timestamp);
    if (end) {
      out.events.shift();
      this.timestamp = (timestamp + duration) >>> 0;
      out.frame = 0;
      out.timestamp = null;
      if (out.events.length === 0) {
        this.dtmfOut.shift();
        this.events.digitsSent(out.request);
      }
      this.gapFrames = DTMF_GAP_FRAMES;
    }
  }

  private send(payloadType: number, payload: Buffer, marker: boolean, timestamp: number): void {
    const remote = this.latchedTo ?? this.signalled;
    if (!this.sending || !validPort(remote.port)) return;
    const packet = encodeRtp({ payloadType, marker, sequence: this.sequence, timestamp, ssrc: this.ssrc, payload });
    this.sequence = (this.sequence + 1) & 0xffff;
    this.counters.sent++;
    try {
      this.socket.send(packet, remote.port, remote.address);
    } catch (err) {
      // A peer's bad address must cost its own media, never the worker.
      this.events.warn('RTP send failed', { err: String(err), remote });
      this.sending = false;
    }
  }

  private receive(data: Buffer, rinfo: { address: string; port: number }): void {
    const packet = decodeRtp(data);
    if (!packet || !this.fromCaller(rinfo)) return;
    this.counters.received++;
    if (packet.payloadType === this.options.dtmfPayloadType) {
      this.detector.packet(packet.ssrc, packet.timestamp, packet.payload);
      return;
    }
    if (packet.payloadType === this.options.payloadType && this.recording) this.record(packet.payload);
  }

  /**
   * Audio arrives at 8,000 samples a second; what comes faster (a peer flooding its own call, which would fill the
   * disk and the write queue) is dropped beyond a second's jitter.
   */
  private record(payload: Buffer): void {
    const allowed = ((performance.now() - this.recordingSince) / 1000 + RECORDING_SLACK_SECONDS) * SAMPLE_RATE;
    if (this.recordedSamples + payload.length > allowed) return;
    this.recordedSamples += payload.length;
    const pcm = decodeG711(this.options.law, payload);
    this.silenceWatch?.heard(pcm, performance.now());
    this.recording!.append(pcm);
  }

  /** Whether a packet is the caller's; the first one from a host the call names fixes where the rest must come from. */
  private fromCaller(source: RtpEndpoint): boolean {
    const anyone = this.options.callerHosts === null;
    if (this.latchedTo) {
      // any-host is the behaviour from before decision 0139 whole: the first source latched, every source heard.
      // Every packet of the call passes here: the socket spells one peer's address the same way each time.
      if (anyone || (source.port === this.latchedTo.port && source.address === this.latchedTo.address)) return true;
    } else if (anyone || this.mayLatchOnto(source.address)) {
      // A source port that cannot be answered (0: raw senders such as sipp's pcap play) is heard, not latched onto.
      if (!validPort(source.port)) return true;
      // Symmetric RTP: answer to where the caller's packets come from, which NAT may have changed.
      this.latchedTo = { address: source.address, port: source.port };
      if (!sameEndpoint(source, this.signalled)) this.events.latched(this.latchedTo);
      return true;
    }
    this.counters.dropped++;
    if (!this.strangerReported) {
      this.strangerReported = true;
      this.events.warn('RTP from outside the call dropped', {
        from: `${source.address}:${source.port}`,
        expected: this.latchedTo ? `${this.latchedTo.address}:${this.latchedTo.port}` : [this.signalled.address, ...(this.options.callerHosts ?? [])],
      });
    }
    return false;
  }

  private mayLatchOnto(address: string): boolean {
    const host = unmappedIPv4(address);
    return host === unmappedIPv4(this.signalled.address) || (this.options.callerHosts ?? []).some((h) => unmappedIPv4(h) === host);
  }
}

function sameEndpoint(a: RtpEndpoint, b: RtpEndpoint): boolean {
  return a.port === b.port && unmappedIPv4(a.address) === unmappedIPv4(b.address);
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < 65536;
}
