/**
 * Ozeki's call commands (ozeki-ozml.md §3.4): Call, Hangup, ListActiveCalls,
 * ListCallHistory, in the same XML result form as SendSms. Call waits until
 * the callee answers (200 with the CallId) or the attempt fails (402 with
 * Busy or Error). Times are UTC "yyyy-MM-dd HH:mm:ss", durations seconds
 * with three decimals, as Ozeki 10 writes them.
 */
import { AppError, isAppError, ErrorCode } from '../../shared/errors.js';
import type { OzekiCommandContext, OzekiResult } from './command.js';
import { intParam, invalidParameter } from './command.js';
import { OzekiCode, formatOzekiMessage, ozekiTime } from './xml.js';
import { validateCallbackUrl } from '../../sms/validate.js';

function requireCalls(ctx: OzekiCommandContext) {
  return ctx.deps.calls ?? null;
}

function unavailable(ctx: OzekiCommandContext): OzekiResult {
  const extension = ctx.params.get('ApiExtension') ?? 'telenode';
  return {
    code: OzekiCode.ApiExtensionUnavailable,
    message: formatOzekiMessage(OzekiCode.ApiExtensionUnavailable, extension),
    extra: { Detail: 'voice is disabled' },
  };
}

function optionalUrl(ctx: OzekiCommandContext, name: string): string | null {
  const url = ctx.params.get(name)?.trim() || null;
  if (url) {
    const error = validateCallbackUrl(url);
    if (error) throw invalidParameter(name, error);
  }
  return url;
}

export async function callCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const calls = requireCalls(ctx);
  if (!calls) return unavailable(ctx);
  const dialed = ctx.params.get('Dialed', 'Dialled')?.trim();
  if (!dialed) throw invalidParameter('Dialed', 'Dialed is required');
  const ringSeconds = ringTime(ctx);
  const request = {
    dialed,
    callerId: ctx.params.get('CallerId')?.trim() || null,
    callerDisplayName: ctx.params.get('CallerDisplayName')?.trim() || null,
    url: optionalUrl(ctx, 'Url'),
    errorUrl: optionalUrl(ctx, 'ErrorUrl'),
    ringSeconds,
  };
  try {
    const { callId } = await calls.call(request);
    return { code: OzekiCode.Ok, extra: { CallId: callId } };
  } catch (err) {
    const failed = connectFailed(err, dialed);
    if (failed) return failed;
    throw err;
  }
}

function ringTime(ctx: OzekiCommandContext): number | null {
  const raw = ctx.params.get('RingTime')?.trim();
  const seconds = raw ? Number(raw) : null;
  if (seconds !== null && !(Number.isInteger(seconds) && seconds >= 1 && seconds <= 600)) throw invalidParameter('RingTime', 'RingTime must be 1-600 seconds');
  return seconds;
}

/** A call that could not be connected: 402 CallConnectFailed with Busy or Error and the SIP status; null for other errors. */
function connectFailed(err: unknown, dialed: string): OzekiResult | null {
  if (!(isAppError(err) && (err.code === ErrorCode.CALL_FAILED || err.code === ErrorCode.SIP_REQUEST_FAILED || err.code === ErrorCode.CALL_ENDED))) return null;
  const status = err.protocolStatus;
  const state = status === 486 || status === 600 || status === 603 ? 'Busy' : 'Error';
  return {
    code: OzekiCode.CallConnectFailed,
    message: formatOzekiMessage(OzekiCode.CallConnectFailed, dialed, state),
    ...(status ? { extra: { Detail: `SIP ${status}` } } : {}),
  };
}

/**
 * CallSetup (Ozeki 10, ozeki-ozml.md §3.4 "CallSetup"): connect `Caller` and `Callee`. telenode calls the caller
 * and, once they answer, transfers them to the callee (OzmlCallApi.callSetup); answers as Call does: 200 with
 * the CallId of the caller's leg once answered, 402 CallConnectFailed when the caller cannot be reached.
 */
export async function callSetupCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const calls = requireCalls(ctx);
  if (!calls) return unavailable(ctx);
  const caller = ctx.params.get('Caller')?.trim();
  if (!caller) throw invalidParameter('Caller', 'Caller is required');
  const callee = ctx.params.get('Callee')?.trim();
  if (!callee) throw invalidParameter('Callee', 'Callee is required');
  const request = { caller, callee, callerId: ctx.params.get('CallerId')?.trim() || null, errorUrl: optionalUrl(ctx, 'ErrorUrl'), ringSeconds: ringTime(ctx) };
  try {
    const { callId } = await calls.callSetup(request);
    return { code: OzekiCode.Ok, extra: { CallId: callId } };
  } catch (err) {
    const failed = connectFailed(err, caller);
    if (failed) return failed;
    throw err;
  }
}

/**
 * Request (Ozeki 10, ozeki-ozml.md "Request"): place a call for an API extension. `DialedAddress` (required:
 * `user@host`, a SIP URI, or a number through the trunk), `ExtensionAddress`, `CallerPhoneNumber`,
 * `CallerDisplayName`, `RingTime`, `RequestOzML` (the OzML the answered call runs; without it, the extension's
 * script). Answers as Call does: 200 with the CallId once answered, 402 when it cannot be connected.
 */
export async function requestCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const calls = requireCalls(ctx);
  if (!calls) return unavailable(ctx);
  const address = ctx.params.get('DialedAddress')?.trim();
  if (!address) throw invalidParameter('DialedAddress', 'DialedAddress is required');
  const request = {
    dialed: address,
    extension: ctx.params.get('ExtensionAddress')?.trim() || null,
    callerId: ctx.params.get('CallerPhoneNumber')?.trim() || null,
    callerDisplayName: ctx.params.get('CallerDisplayName')?.trim() || null,
    ringSeconds: ringTime(ctx),
    ozml: ctx.params.get('RequestOzML')?.trim() || null,
  };
  try {
    const { callId } = await calls.request(request);
    return { code: OzekiCode.Ok, extra: { CallId: callId } };
  } catch (err) {
    if (isAppError(err) && err.code === ErrorCode.OZML_INVALID) throw invalidParameter('RequestOzML', err.message);
    const failed = connectFailed(err, address);
    if (failed) return failed;
    throw err;
  }
}

export async function hangupCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const callId = ctx.params.get('CallId')?.trim();
  if (!callId) throw invalidParameter('CallId', 'CallId is required');
  const calls = requireCalls(ctx);
  try {
    if (!calls) throw new AppError(ErrorCode.CALL_NOT_FOUND, 'voice is disabled: no calls');
    await calls.hangup(callId);
  } catch (err) {
    if ((err as { code?: string }).code === ErrorCode.CALL_NOT_FOUND)
      return { code: OzekiCode.CallNotFound, message: formatOzekiMessage(OzekiCode.CallNotFound, callId) };
    throw err;
  }
  return { code: OzekiCode.Ok };
}

export async function listActiveCallsCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const active = requireCalls(ctx)?.active() ?? [];
  const rows = active.map((c) => ({
    CallId: c.callId,
    Source: c.source,
    CallerId: c.callerId,
    Destination: c.destination,
    CallerDialed: c.direction === 'inbound' ? c.destination : c.source,
    CalleeDialed: c.destination,
    StartTime: ozekiTime(c.startTime),
    RingDuration: c.ringSeconds.toFixed(3),
    TalkDuration: c.talkSeconds.toFixed(3),
    CallState: c.state,
  }));
  return { code: OzekiCode.Ok, extra: { ActiveCalls: rows.length > 0 ? { Call: rows } : '' } };
}

const DIRECTIONS: Record<string, 'inbound' | 'outbound'> = { inbound: 'inbound', outbound: 'outbound', incoming: 'inbound', outgoing: 'outbound' };

export async function listCallHistoryCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const { params } = ctx;
  const page = intParam(params.get('PageNumber'), 0, 0, 1_000_000, 'PageNumber');
  const rowsPerPage = intParam(params.get('RowsPerPage'), 50, 1, 1000, 'RowsPerPage');
  const fromRaw = params.get('From')?.trim();
  let from: number | undefined;
  if (fromRaw) {
    from = Date.parse(fromRaw.includes('T') || fromRaw.length <= 10 ? fromRaw : `${fromRaw.replace(' ', 'T')}Z`);
    if (!Number.isFinite(from)) throw invalidParameter('From', 'From must be a date such as 2026-01-31 or 2026-01-31 08:00:00');
  }
  const directionRaw = params.get('Direction')?.trim().toLowerCase();
  const direction = directionRaw ? DIRECTIONS[directionRaw] : undefined;
  if (directionRaw && !direction) throw invalidParameter('Direction', 'Direction must be Inbound or Outbound');
  const history = (await ctx.deps.calls?.listHistory({
    page,
    rowsPerPage,
    from,
    direction,
    source: params.get('Source')?.trim() || undefined,
    destination: params.get('Destination')?.trim() || undefined,
    state: params.get('State')?.trim() || undefined,
    callId: params.get('CallId')?.trim() || undefined,
  })) ?? { total: 0, rows: [] };
  const rows = history.rows.map((r) => ({
    StartTime: ozekiTime(r.startTime),
    Direction: r.direction === 'inbound' ? 'Inbound' : 'Outbound',
    Source: r.source,
    Destination: r.destination,
    State: r.state,
    Dialed: r.dialed,
    CallerId: r.callerId,
    Type: 'Audio',
    CallId: r.callId,
    RingDuration: (((r.answeredAt ?? r.endedAt) - r.startTime) / 1000).toFixed(3),
    TalkDuration: (r.answeredAt ? (r.endedAt - r.answeredAt) / 1000 : 0).toFixed(3),
  }));
  return { code: OzekiCode.Ok, extra: { TotalRecords: history.total, CallHistory: rows.length > 0 ? { Call: rows } : '' } };
}
