/**
 * One call as a script sees it: answer or reject, speak, play, collect and
 * send digits, record, transfer, hang up. It joins the SIP call (any engine)
 * to its RTP media. `signal` aborts when the call ends, so every wait a verb
 * makes stops at once when the caller hangs up.
 *
 *   new ──answer()──► answered ──hangup()/BYE──► ended
 *    └──reject()──────────────────────────────► ended
 */
import { isIP } from 'node:net';
import type { Logger } from '../shared/log.js';
import { AppError, ErrorCode } from '../shared/errors.js';
import type { CallEndReason, CallInfo, IncomingCall, SipCall } from './sip/call-control.js';
import { AudioClip } from './media/audio-clip.js';
import type { MediaHost, RtpPort } from './media/media-host.js';
import type { RtpSession, PlayOutcome, RecordingInactivity, RecordingResult } from './media/rtp-session.js';
import { negotiate, parseAudioDescription, writeAnswer, writeOffer, type NegotiatedMedia } from './media/sdp.js';
import type { TextToSpeech, VoiceRequest } from './media/tts.js';
import type { PromptSource } from './media/prompt-source.js';
import { DigitBuffer, type CollectOptions, type CollectResult } from './digit-buffer.js';

export type CallState = 'new' | 'answered' | 'ended';

export interface MediaDeps {
  /** The media worker: RTP ports, sockets and the clock. */
  host: MediaHost;
  tts: TextToSpeech;
  prompts: PromptSource;
  /** Address written into our SDP. */
  rtpAddress: string;
  /** voice.rtp.acceptFrom (default call-hosts): whose RTP a call takes. */
  acceptRtpFrom?: 'call-hosts' | 'any-host';
  log: Logger;
}

export class CallSession {
  private recordingNow = false;
  state: CallState = 'new';
  readonly digits = new DigitBuffer();
  private readonly controller = new AbortController();
  private rtp: RtpSession | null = null;
  private releasePort: (() => void) | null = null;
  private sdpVersion = 1;
  private readonly sdpSessionId = Math.floor(Math.random() * 1e9);
  /** Prompts made ready before answering (prepareSpeech, preparePrompt), taken by the next speak/play of the same. */
  private readonly prepared = new Map<string, AudioClip>();
  readonly startedAt = Date.now();
  answeredAt: number | null = null;
  endedAt: number | null = null;
  endReason: CallEndReason | null = null;
  private holding = false;
  /** One hold or unhold at a time: a second waits for the first's re-INVITE to be answered. */
  private holdChange: Promise<void> = Promise.resolve();
  private readonly holdListeners: Array<(held: boolean) => void> = [];

  constructor(
    readonly sip: SipCall,
    private readonly media: MediaDeps,
    readonly log: Logger,
  ) {
    sip.onInfoDigit = (digit) => this.digits.push(digit);
    sip.onModify = (offer) => this.modify(offer);
    void sip.ended.then((reason) => this.onEnded(reason));
  }

  get info(): CallInfo {
    return this.sip.info;
  }

  /** Aborted when the call ends. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get rtpSession(): RtpSession | null {
    return this.rtp;
  }

  ring(): void {
    (this.sip as IncomingCall).ringing?.();
  }

  /** Answer an inbound call: negotiate the caller's offer (or make one), start media, wait for the ACK. */
  async answer(): Promise<void> {
    if (this.state !== 'new') return;
    const incoming = this.sip as IncomingCall;
    let negotiated: NegotiatedMedia | null = null;
    if (this.sip.remoteSdp) {
      try {
        negotiated = negotiate(parseAudioDescription(this.sip.remoteSdp));
      } catch (err) {
        this.log.warn({ err }, 'caller offer not acceptable');
        incoming.reject(488, 'Not Acceptable Here');
        throw err;
      }
    }
    const bound = await this.bindPort();
    const local = { address: this.media.rtpAddress, port: bound.port, sessionId: this.sdpSessionId, version: this.sdpVersion };
    const localSdp = negotiated ? writeAnswer(local, negotiated) : writeOffer(local);
    this.state = 'answered';
    this.answeredAt = Date.now();
    // Media is received at once but sent only after the ACK: a UDP INVITE with a forged source would otherwise have
    // us stream RTP at whatever its SDP names until the 200's retransmissions give up (64·T1, 32 s: ~1,600 packets
    // for one datagram, a reflector). The caller misses nothing: the handler speaks once answer() has returned.
    if (negotiated) this.startMedia(bound, { ...negotiated, weSend: false });
    let ackSdp: string | null;
    try {
      ackSdp = await incoming.answer(localSdp);
    } catch (err) {
      throw new AppError(ErrorCode.CALL_ENDED, `call ended before it was confirmed: ${(err as Error).message}`, { cause: err });
    }
    if (negotiated) this.rtp?.setSending(negotiated.weSend);
    else {
      // Late offer (RFC 3261 §13.2.1): our 200 carried the offer, the ACK the answer.
      if (!ackSdp) throw new AppError(ErrorCode.SDP_INVALID, 'late-offer call: the ACK carried no SDP answer');
      this.startMedia(bound, negotiate(parseAudioDescription(ackSdp)));
    }
  }

  reject(status: number, reason?: string): void {
    if (this.state !== 'new') return;
    (this.sip as IncomingCall).reject(status, reason);
  }

  /** For outbound calls: media starts from the callee's answer. */
  async attachOutboundMedia(port: RtpPort, remoteSdp: string): Promise<void> {
    this.state = 'answered';
    this.answeredAt = Date.now();
    this.startMedia(port, negotiate(parseAudioDescription(remoteSdp)));
  }

  /** Adopt a port bound before the call existed (outbound: the offer needs it). */
  adoptPort(release: () => void): void {
    this.releasePort = release;
  }

  async speak(text: string, voice: VoiceRequest = {}, options: { bargeIn?: boolean } = {}): Promise<PlayOutcome> {
    const clip = this.takePrepared(JSON.stringify(['speak', text, voice])) ?? (await this.media.tts.synthesize(text, voice));
    return this.playClip(clip, options);
  }

  async play(location: string, options: { bargeIn?: boolean } = {}): Promise<PlayOutcome> {
    const clip = this.takePrepared(JSON.stringify(['play', location])) ?? (await this.media.prompts.load(location));
    return this.playClip(clip, options);
  }

  /** Synthesise a prompt ahead (before answering); the next speak() of the same text uses it. */
  async prepareSpeech(text: string, voice: VoiceRequest = {}): Promise<void> {
    this.prepared.set(JSON.stringify(['speak', text, voice]), await this.media.tts.synthesize(text, voice));
  }

  /** Load a prompt ahead (before answering); the next play() of the same location uses it. */
  async preparePrompt(location: string): Promise<void> {
    this.prepared.set(JSON.stringify(['play', location]), await this.media.prompts.load(location));
  }

  private takePrepared(key: string): AudioClip | undefined {
    const clip = this.prepared.get(key);
    this.prepared.delete(key);
    return clip;
  }

  /** Play a clip; with bargeIn a key press stops it (the digit stays buffered for the next input). */
  async playClip(clip: AudioClip, options: { bargeIn?: boolean } = {}): Promise<PlayOutcome> {
    const rtp = this.requireMedia();
    if (!options.bargeIn) return rtp.play(clip, this.signal);
    if (this.digits.pending.length > 0) return 'stopped';
    const stop = new AbortController();
    const off = this.digits.onDigit(() => stop.abort());
    const onEnd = () => stop.abort();
    this.signal.addEventListener('abort', onEnd, { once: true });
    try {
      return await rtp.play(clip, stop.signal);
    } finally {
      off();
      this.signal.removeEventListener('abort', onEnd);
    }
  }

  /** Silence for `ms`, cut short when the call ends. */
  pause(ms: number): Promise<PlayOutcome> {
    return this.playClip(AudioClip.silence(ms));
  }

  collectDigits(options: Omit<CollectOptions, 'signal'>): Promise<CollectResult> {
    return this.digits.collect({ ...options, signal: this.signal });
  }

  sendDigits(digits: string): Promise<void> {
    return this.requireMedia().sendDigits(digits);
  }

  /**
   * Record the caller's audio into a WAV file at `path`, written by the media worker as it comes. One recording at a
   * time: the script's Record verb or an API Record command, whichever came first. With `inactivity`, its listener
   * hears when the caller has been silent that long.
   */
  startRecording(path: string, inactivity?: RecordingInactivity): void {
    if (this.recordingNow) throw new AppError(ErrorCode.CALL_STATE, 'the call is being recorded already');
    this.requireMedia().startRecording(path, inactivity);
    this.recordingNow = true;
  }

  /** Ends the recording; resolves once its file is complete (`file` false, and no file, with no media). */
  stopRecording(): Promise<RecordingResult> {
    this.recordingNow = false;
    return this.rtp ? this.rtp.stopRecording() : Promise.resolve({ samples: 0, file: false });
  }

  async transfer(target: string): Promise<void> {
    await this.sip.transfer(target);
  }

  /** Attended transfer: this call's far end is REFERred to `target`'s far end, replacing our dialog with it (RFC 5589 §7). */
  async transferReplacing(target: CallSession): Promise<void> {
    const ids = target.sip.dialogIds;
    if (!ids || target.state !== 'answered') throw new AppError(ErrorCode.CALL_STATE, 'the transfer target call is not answered');
    await this.sip.transferReplacing(ids);
  }

  /** True while we hold the far end (Ozeki's Hold): our last offer was a=sendonly. */
  get held(): boolean {
    return this.holding;
  }

  /** Called after each hold or unhold the far end accepted (CallChanged Hold / InCall). */
  onHoldChange(listener: (held: boolean) => void): void {
    this.holdListeners.push(listener);
  }

  /**
   * Hold or take back the far end with our own re-INVITE: a=sendonly to hold, a=sendrecv to resume (RFC 3264
   * §8.4). While held we may still send (a prompt from the script or the Play command is the caller's hold
   * music) and expect nothing back. Resolves once the far end answered 2xx; its answer moves our media as a
   * re-INVITE of theirs would. Holding a held call (or resuming one that is not) does nothing.
   */
  hold(held: boolean): Promise<void> {
    const change = this.holdChange.then(async () => {
      if (held === this.holding) return;
      const rtp = this.requireMedia();
      if (this.state !== 'answered') throw new AppError(ErrorCode.CALL_STATE, 'the call is not answered');
      this.sdpVersion++;
      const local = { address: this.media.rtpAddress, port: rtp.localPort, sessionId: this.sdpSessionId, version: this.sdpVersion };
      const answer = await this.sip.reinvite(writeOffer(local, held ? 'sendonly' : 'sendrecv'));
      const negotiated = negotiate(parseAudioDescription(answer));
      rtp.setRemote(negotiated.remote);
      rtp.setSending(negotiated.weSend);
      this.holding = held;
      this.log.info(held ? 'call put on hold' : 'call taken off hold');
      for (const listener of this.holdListeners) listener(held);
    });
    this.holdChange = change.catch(() => undefined);
    return change;
  }

  async hangup(): Promise<void> {
    if (this.state === 'ended') return;
    await this.sip.hangup();
  }

  private async bindPort() {
    const bound = await this.media.host.bind();
    this.releasePort = bound.release;
    if (this.state === 'ended' || this.sip.isEnded) {
      bound.release();
      throw new AppError(ErrorCode.CALL_ENDED, 'the call ended while media was being set up');
    }
    return bound;
  }

  private startMedia(port: RtpPort, negotiated: NegotiatedMedia): void {
    this.rtp = this.media.host.open(port, {
      remote: negotiated.remote,
      law: negotiated.law,
      payloadType: negotiated.payloadType,
      dtmfPayloadType: negotiated.dtmfPayloadType,
      sending: negotiated.weSend,
      callerHosts: this.media.acceptRtpFrom === 'any-host' ? null : signallingHosts(this.sip.info),
      log: this.log,
    });
    this.rtp.onDigit((digit) => this.digits.push(digit));
    this.rtp.onFailure((err) => {
      // No media any more (the worker died): end the call rather than leave the caller in silence.
      this.log.error({ err }, 'call media failed; hanging up');
      this.hangup().catch((hangupErr: unknown) => this.log.warn({ err: hangupErr }, 'hang-up failed'));
    });
  }

  /** A re-INVITE: hold (sendonly/inactive), unhold, or media moved. */
  private modify(offer: string): string {
    const negotiated = negotiate(parseAudioDescription(offer));
    const rtp = this.requireMedia();
    rtp.setRemote(negotiated.remote);
    rtp.setSending(negotiated.weSend);
    this.sdpVersion++;
    this.log.info({ direction: negotiated.answerDirection }, negotiated.weSend ? 'call resumed' : 'call on hold');
    return writeAnswer({ address: this.media.rtpAddress, port: rtp.localPort, sessionId: this.sdpSessionId, version: this.sdpVersion }, negotiated);
  }

  private requireMedia(): RtpSession {
    if (this.state === 'ended') throw new AppError(ErrorCode.CALL_ENDED, 'the call has ended');
    if (!this.rtp) throw new AppError(ErrorCode.CALL_ENDED, 'the call has no media yet (not answered)');
    return this.rtp;
  }

  private onEnded(reason: CallEndReason): void {
    this.state = 'ended';
    this.endReason = reason;
    this.endedAt = Date.now();
    this.rtp?.close();
    this.releasePort?.();
    this.controller.abort();
  }
}

/**
 * The host a call's signalling is exchanged with, besides its SDP's: a peer behind NAT sends its RTP from there, not
 * from the private address in its SDP. An inbound call's source is where its INVITE came from ("udp:203.0.113.5:5060",
 * IPv6 unbracketed); an outbound call's names the target dialled ("udp:192.0.2.10" on the built-in engine), which
 * counts when it is an address, not a name (what a name resolves to is not known here). drachtio's outbound source
 * ("drachtio:sip:…") names none.
 */
export function signallingHosts(info: CallInfo): string[] {
  const first = info.source.indexOf(':');
  if (info.direction === 'outbound') {
    const target = info.source.slice(first + 1).replace(/^\[(.*)\]$/, '$1');
    return isIP(target) ? [target] : [];
  }
  const last = info.source.lastIndexOf(':');
  return last > first + 1 ? [info.source.slice(first + 1, last)] : [];
}
