/**
 * Ozeki's commands on a live call (ozeki-ozml.md §3.4): Speak, Play,
 * SendDTMF, Record, Hold, Unhold, BlindTransfer, AttendedTransfer and Forward/ForwardCall, each naming the call by
 * CallId. Prompts are made before the answer (a missing file or a failing
 * synthesiser is this command's error) and queued on the call's audio after
 * what is playing; the call's own script goes on (call-api.ts). `Party` is
 * accepted and ignored: a command acts on telenode's leg of the call. Codes:
 * 601 for an unknown or finished call, 303 for one still ringing.
 */
import { AppError, ErrorCode, isAppError } from '../../shared/errors.js';
import type { OzmlCallApi } from '../../voice/ozml/call-api.js';
import type { OzekiCommandContext, OzekiResult } from './command.js';
import { invalidParameter } from './command.js';
import { OzekiCode, formatOzekiMessage } from './xml.js';
import { validateCallbackUrl } from '../../sms/validate.js';

type LiveAction = (calls: OzmlCallApi, callId: string) => Promise<void>;

async function onLiveCall(ctx: OzekiCommandContext, action: LiveAction, callIdParameter = 'CallId'): Promise<OzekiResult> {
  const callId = ctx.params.get(callIdParameter)?.trim();
  if (!callId) throw invalidParameter(callIdParameter, `${callIdParameter} is required`);
  const calls = ctx.deps.calls;
  if (!calls) return { code: OzekiCode.CallNotFound, message: formatOzekiMessage(OzekiCode.CallNotFound, callId), extra: { Detail: 'voice is disabled' } };
  try {
    await action(calls, callId);
  } catch (err) {
    if (!isAppError(err)) throw err;
    if (err.code === ErrorCode.CALL_NOT_FOUND || err.code === ErrorCode.CALL_ENDED) {
      const missing = typeof err.details?.['callId'] === 'string' ? err.details['callId'] : callId;
      return { code: OzekiCode.CallNotFound, message: formatOzekiMessage(OzekiCode.CallNotFound, missing) };
    }
    if (err.code === ErrorCode.CALL_STATE) {
      return { code: OzekiCode.InappropriateCommand, message: formatOzekiMessage(OzekiCode.InappropriateCommand, ctx.command), extra: { Detail: err.message } };
    }
    if (err.code === ErrorCode.MEDIA_UNREADABLE || err.code === ErrorCode.MEDIA_FETCH_FAILED || err.code === ErrorCode.EGRESS_DENIED) {
      throw invalidParameter('AudioFile', err.message);
    }
    throw err;
  }
  ctx.deps.log.info({ command: ctx.command, callId, user: ctx.username }, 'live-call command');
  return { code: OzekiCode.Ok };
}

function required(ctx: OzekiCommandContext, ...names: [string, ...string[]]): string {
  const value = ctx.params.get(...names)?.trim();
  if (!value) throw invalidParameter(names[0], `${names[0]} is required`);
  return value;
}

export function speakCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const text = required(ctx, 'Text');
  const language = ctx.params.get('Language')?.trim() || undefined;
  const voice = ctx.params.get('Voice')?.trim() || undefined;
  return onLiveCall(ctx, (calls, callId) => calls.speak(callId, text, { language, voice }));
}

export function playCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const audioFile = required(ctx, 'AudioFile', 'AudioURL', 'Url');
  return onLiveCall(ctx, (calls, callId) => calls.play(callId, audioFile));
}

export function sendDtmfCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const keys = required(ctx, 'Keys', 'Digits');
  // RFC 4733 §3.2: events 0–9, *, #, A–D.
  if (!/^[0-9*#A-Da-d]{1,64}$/.test(keys)) throw invalidParameter('Keys', 'Keys may hold 0-9, *, # and A-D (at most 64)');
  return onLiveCall(ctx, (calls, callId) => calls.sendDtmf(callId, keys.toUpperCase()));
}

/** Hold (Unhold): telenode's re-INVITE with a=sendonly (a=sendrecv); 200 once the far end accepted it, 303 if it refused. */
export function holdCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  return onLiveCall(ctx, (calls, callId) => holdOrRefused(calls, callId, true));
}

export function unholdCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  return onLiveCall(ctx, (calls, callId) => holdOrRefused(calls, callId, false));
}

/** A far end that answers the re-INVITE with an error (491, 488 …) keeps the call as it was: the command was inappropriate now. */
async function holdOrRefused(calls: OzmlCallApi, callId: string, held: boolean): Promise<void> {
  try {
    await calls.hold(callId, held);
  } catch (err) {
    if (isAppError(err) && err.code === ErrorCode.SIP_REQUEST_FAILED)
      throw new AppError(ErrorCode.CALL_STATE, err.message, { cause: err, protocolStatus: err.protocolStatus });
    throw err;
  }
}

export function blindTransferCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const target = required(ctx, 'Target');
  return onLiveCall(ctx, (calls, callId) => calls.transfer(callId, target));
}

/**
 * AttendedTransfer (ozeki-ozml.md §3.4): `TransferredCallId`'s far end is REFERred to `TargetCallId`'s far end
 * with Replaces (RFC 5589 §7, RFC 3891), so the two talk to each other and telenode's two legs end. Both calls
 * must be answered and run on the node that gets the command.
 */
export function attendedTransferCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const target = required(ctx, 'TargetCallId');
  return onLiveCall(ctx, (calls, callId) => calls.attendedTransfer(callId, target), 'TransferredCallId');
}

/** XE's Forward and Ozeki 10's ForwardCall: telenode answers calls before scripts run, so it forwards by transfer. */
export function forwardCallCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const destination = required(ctx, 'Destination');
  return onLiveCall(ctx, (calls, callId) => calls.transfer(callId, destination));
}

/**
 * Record (ozeki-ozml.md §2 Record): `Duration` (s, default 60), `Inactivity` (stop after that many seconds of no
 * voice; none by default), `FinishDigits`, `FinishedURL` (RecordCompleted with RecordURL), `Format` (mp3 or wav;
 * written as WAV, as the Record verb does). `RecordPath` is accepted and not used: the file goes to the
 * recordings folder, whose name the app gets.
 */
export function recordCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const format = ctx.params.get('Format')?.trim().toLowerCase() || 'wav';
  if (format !== 'wav' && format !== 'mp3') throw invalidParameter('Format', 'Format is mp3 or wav');
  const finishDigits = (ctx.params.get('FinishDigits') ?? '').replace(/\s+/g, '').toUpperCase();
  if (!/^[0-9*#A-D]{0,16}$/.test(finishDigits)) throw invalidParameter('FinishDigits', 'FinishDigits may hold 0-9, *, # and A-D');
  const durationRaw = ctx.params.get('Duration')?.trim();
  const duration = durationRaw ? Number(durationRaw) : 60;
  if (!Number.isInteger(duration) || duration < 1 || duration > 3600) throw invalidParameter('Duration', 'Duration must be 1-3600 seconds');
  const inactivityRaw = ctx.params.get('Inactivity')?.trim();
  const inactivitySeconds = inactivityRaw ? Number(inactivityRaw) : 0;
  if (!Number.isInteger(inactivitySeconds) || inactivitySeconds < 0 || inactivitySeconds > 3600) {
    throw invalidParameter('Inactivity', 'Inactivity must be 0-3600 seconds');
  }
  const finishedUrl = ctx.params.get('FinishedURL', 'FinishedUrl')?.trim() || null;
  if (finishedUrl) {
    const error = validateCallbackUrl(finishedUrl);
    if (error) throw invalidParameter('FinishedURL', error);
  }
  return onLiveCall(ctx, (calls, callId) => calls.record(callId, { maxMs: duration * 1000, finishDigits, inactivitySeconds, finishedUrl }));
}
