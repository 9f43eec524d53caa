/**
 * The call side of Ozeki's HTTP API, as the api/ layer sees it: place a call
 * (Call), end one (Hangup), list the calls in progress and finished ones.
 * Call waits until the callee answers or the attempt fails, because Ozeki
 * answers a failed attempt with 402 CallConnectFailed and its state.
 */
import { AppError, ErrorCode, isAppError } from '../../shared/errors.js';
import type { CallHistoryQuery, CallHistoryRow } from '../../store/call-history-repo.js';
import type { CallHandler, CallService } from '../calls.js';
import type { CallSession } from '../call-session.js';
import { CallState } from './call-states.js';
import { trunkTarget, type TrunkConfig } from '../trunks.js';
import { connectedHandler, extensionHandler, transferOnAnswerHandler, type OzmlHandlerDeps } from './ozml-handler.js';
import { parseOzml } from './parse.js';
import type { ExtensionCallRequest } from './services.js';
import { recordCompletedFields, saveRecording, startRecording, waitForRecordingStop, type StartedRecording } from './recording.js';
import { notifyRecordCompleted } from './record-completed-promise.js';

export interface PlaceCallRequest {
  dialed: string;
  callerId?: string | null;
  callerDisplayName?: string | null;
  /** CallConnected goes here once answered; its OzML runs on the call. */
  url?: string | null;
  /** An error notification goes here when the call cannot be connected. */
  errorUrl?: string | null;
  ringSeconds?: number | null;
}

export interface ActiveCall {
  callId: string;
  state: CallState;
  direction: 'inbound' | 'outbound';
  source: string;
  callerId: string;
  destination: string;
  startTime: number;
  ringSeconds: number;
  talkSeconds: number;
}

/** How the Call command dials: voice.outbound with its trunk resolved from voice.trunks. */
export interface OutboundCalls {
  /** A dialled number goes through this trunk (and its credentials); null: Dialed must be a SIP URI. */
  trunk: TrunkConfig | null;
  callerId: string;
  ringSeconds: number;
}

/** Ozeki's Record command on a live call: stop after `maxMs`, a `finishDigits` key or `inactivitySeconds` of silence (0: none). */
export interface LiveRecordOptions {
  maxMs: number;
  finishDigits: string;
  inactivitySeconds: number;
  finishedUrl: string | null;
}

export interface CallHistoryReader {
  list(query: CallHistoryQuery): Promise<{ total: number; rows: CallHistoryRow[] }>;
}

export class OzmlCallApi {
  constructor(
    private readonly calls: CallService,
    private readonly handlerDeps: OzmlHandlerDeps,
    private readonly outbound: OutboundCalls,
    private readonly history: CallHistoryReader | null,
  ) {}

  /** Resolves with the CallId once answered; rejects CALL_FAILED (protocolStatus = SIP status) otherwise. */
  async call(request: PlaceCallRequest): Promise<{ callId: string }> {
    return this.place(request, connectedHandler(this.handlerDeps, request.url ?? null, request.dialed));
  }

  /**
   * Ozeki 10's CallSetup (connect two numbers): call `caller` as Call does; once they answer, REFER them to
   * `callee` (RFC 3515), so their phone calls the callee directly and telenode's leg ends — telenode carries no
   * media between them. Resolves with the CallId once the caller answered; a caller that cannot be reached
   * fails as Call does, and a refused transfer is a CallError to `errorUrl`. A number as the callee goes through
   * the outbound trunk when there is one, else to the caller's own host (its PBX resolves it).
   */
  async callSetup(request: {
    caller: string;
    callee: string;
    callerId: string | null;
    errorUrl: string | null;
    ringSeconds: number | null;
  }): Promise<{ callId: string }> {
    const referTo = /^sips?:/i.test(request.callee) || !this.outbound.trunk ? request.callee : this.target(request.callee);
    const placed = {
      dialed: request.caller,
      callerId: request.callerId,
      callerDisplayName: null,
      url: null,
      errorUrl: request.errorUrl,
      ringSeconds: request.ringSeconds,
    };
    const callerId = request.callerId?.trim() || this.outbound.callerId;
    return this.place(
      placed,
      transferOnAnswerHandler(this.handlerDeps, request.caller, referTo, (err) => this.callError(placed, callerId, err)),
    );
  }

  /**
   * Ozeki 10's Request (ozeki-ozml.md "Request"): place a call for an API extension. Once answered the call runs
   * `ozml` (RequestOzML) when given, else the script of `extension` (default: voice.notifications.apiExtension)
   * as a call to that extension would. Resolves with the CallId once answered; fails as Call does.
   */
  async request(request: ExtensionCallRequest): Promise<{ callId: string }> {
    const script = request.ozml ? parseOzml(request.ozml, 'RequestOzML') : null;
    const extension = request.extension ?? this.handlerDeps.services.apiExtension;
    // `102@localhost` is a SIP address without its scheme; a bare number or a URI is dialled as Call dials it.
    const dialed = /^sips?:/i.test(request.dialed) || !request.dialed.includes('@') ? request.dialed : `sip:${request.dialed}`;
    const placed = {
      dialed,
      callerId: request.callerId,
      callerDisplayName: request.callerDisplayName,
      url: null,
      errorUrl: null,
      ringSeconds: request.ringSeconds,
    };
    return this.place(placed, extensionHandler(this.handlerDeps, dialed, extension, script));
  }

  private async place(request: PlaceCallRequest, handler: CallHandler): Promise<{ callId: string }> {
    const target = this.target(request.dialed);
    const callerId = request.callerId?.trim() || this.outbound.callerId;
    try {
      const session = await this.calls.dial(
        {
          target,
          callerId,
          timeoutMs: (request.ringSeconds ?? this.outbound.ringSeconds) * 1000,
          auth: this.outbound.trunk?.auth ?? undefined,
        },
        handler,
      );
      return { callId: session.info.id };
    } catch (err) {
      this.callError(request, callerId, err);
      throw err;
    }
  }

  /** CallError to the request's ErrorUrl, through the durable callback outbox. */
  private callError(request: PlaceCallRequest, callerId: string, err: unknown): void {
    if (!request.errorUrl) return;
    const status = isAppError(err) ? err.protocolStatus : undefined;
    void this.handlerDeps.services.events.notify(
      request.errorUrl,
      {
        NotificationName: 'CallError',
        Dialed: request.dialed,
        Caller: callerId,
        ApiExtension: this.handlerDeps.services.apiExtension,
        CallState: failureState(status),
        SipStatus: status === undefined ? '' : String(status),
        ErrorMessage: (err as Error).message,
      },
      `call-error:${request.dialed}`,
    );
  }

  async hangup(callId: string): Promise<void> {
    const session = this.find(callId);
    if (!session) throw new AppError(ErrorCode.CALL_NOT_FOUND, `no call with id ${callId}`, { details: { callId } });
    await session.hangup();
  }

  /**
   * Commands on a live call (Ozeki's Speak, Play, SendDTMF, Hold, Unhold, BlindTransfer, ForwardCall). The prompt is
   * synthesised or loaded before the command answers (so a bad file or a failing synthesiser is the
   * command's error) and then queued on the call's audio after whatever is playing: the call's script is
   * not paused, and its next prompts queue behind. Resolves when queued, not when heard.
   */
  async speak(callId: string, text: string, voice: { language?: string; voice?: string }): Promise<void> {
    const session = this.answered(callId);
    await session.prepareSpeech(text, voice);
    void session.speak(text, voice).catch(() => undefined); // the call ending mid-prompt is not an error
  }

  async play(callId: string, location: string): Promise<void> {
    const session = this.answered(callId);
    await session.preparePrompt(location);
    void session.play(location).catch(() => undefined);
  }

  /** RFC 4733 digits to the far end; resolves once sent. */
  async sendDtmf(callId: string, keys: string): Promise<void> {
    await this.answered(callId).sendDigits(keys);
  }

  /**
   * Ozeki's Record on a live call: the caller's audio from now until `maxMs`, a `finishDigits` key, `inactivitySeconds`
   * of silence (0: none) or the call's end, written as the Record verb writes it; RecordCompleted goes to `finishedUrl` through the durable callback
   * outbox (the command answers once recording has started). One recording at a time: while the call's script
   * or an earlier command records, CALL_STATE.
   */
  async record(callId: string, options: LiveRecordOptions): Promise<void> {
    const session = this.answered(callId);
    const info = session.info;
    const url = options.finishedUrl;
    const promiseFor = url
      ? () => ({ url, fields: { NotificationName: 'RecordCompleted', CallId: info.id, Caller: info.from.user, Callee: info.to.user }, orderKey: info.id })
      : null;
    const started = await startRecording(session, this.handlerDeps.services.recordings, options.inactivitySeconds, promiseFor);
    void this.finishRecording(session, started, options).catch((err: unknown) => session.log.error({ err }, 'the recording could not be saved'));
  }

  private async finishRecording(session: CallSession, started: StartedRecording, options: LiveRecordOptions) {
    const promise = started.promise;
    const { reason, digit } = await waitForRecordingStop(session, session.signal, started, options);
    const saved = await saveRecording(session, this.handlerDeps.services.recordings, started);
    session.log.info({ path: saved.path, seconds: saved.seconds.toFixed(1), reason }, 'recording finished (Record command)');
    if (promise) await notifyRecordCompleted(this.handlerDeps.services.events, started.path, promise, recordCompletedFields(saved, reason, digit));
  }

  /**
   * Ozeki's AttendedTransfer: the far end of `transferredCallId` is REFERred to the far end of `targetCallId` with
   * Replaces, so they talk to each other and both of telenode's legs end. Both calls must be answered and run on
   * this node (the Replaces header needs the target dialog's tags).
   */
  async attendedTransfer(transferredCallId: string, targetCallId: string): Promise<void> {
    const transferred = this.answered(transferredCallId);
    const target = this.answered(targetCallId);
    if (transferred === target) throw new AppError(ErrorCode.CALL_STATE, 'a call cannot be transferred to itself');
    await transferred.transferReplacing(target);
  }

  /** Ozeki's Hold and Unhold: our re-INVITE (a=sendonly, a=sendrecv); resolves once the far end accepted it. */
  async hold(callId: string, held: boolean): Promise<void> {
    await this.answered(callId).hold(held);
  }

  /** REFER the far end to `target` (a SIP URI, or a number the far end resolves); resolves once accepted. */
  async transfer(callId: string, target: string): Promise<void> {
    await this.answered(callId).transfer(target);
  }

  active(): ActiveCall[] {
    const now = Date.now();
    return this.calls.activeCalls.map((s) => ({
      callId: s.info.id,
      state: s.state !== 'answered' ? CallState.Ringing : s.held ? CallState.Hold : CallState.InCall,
      direction: s.info.direction,
      source: s.info.from.user,
      callerId: s.info.from.displayName ?? s.info.from.user,
      destination: s.info.to.user,
      startTime: s.startedAt,
      ringSeconds: ((s.answeredAt ?? now) - s.startedAt) / 1000,
      talkSeconds: s.answeredAt ? (now - s.answeredAt) / 1000 : 0,
    }));
  }

  async listHistory(query: CallHistoryQuery): Promise<{ total: number; rows: CallHistoryRow[] }> {
    return this.history ? this.history.list(query) : { total: 0, rows: [] };
  }

  /** A number goes through the configured trunk; a SIP URI is dialled as it is. */
  target(dialed: string): string {
    const value = dialed.trim();
    if (/^sips?:/i.test(value)) return value;
    if (!this.outbound.trunk) {
      throw new AppError(ErrorCode.REQUEST_INVALID, 'no voice.outbound.trunk is configured; Dialed must be a SIP URI', { details: { field: 'Dialed' } });
    }
    return trunkTarget(this.outbound.trunk, value);
  }

  /** The call, answered: CALL_NOT_FOUND when there is none, CALL_STATE while it is still ringing. */
  private answered(callId: string): CallSession {
    const session = this.find(callId);
    if (!session) throw new AppError(ErrorCode.CALL_NOT_FOUND, `no call with id ${callId}`, { details: { callId } });
    if (session.state !== 'answered') throw new AppError(ErrorCode.CALL_STATE, `call ${callId} is not answered`, { details: { callId } });
    return session;
  }

  private find(callId: string): CallSession | undefined {
    return this.calls.activeCalls.find((s) => s.info.id === callId);
  }
}

function failureState(status: number | undefined): CallState {
  return status === 486 || status === 600 || status === 603 ? CallState.Busy : CallState.Error;
}
