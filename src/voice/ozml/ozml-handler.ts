/**
 * The call handler that runs OzML: an inbound call rings, its script is
 * fetched (IncomingCall) or read, and the interpreter runs it; an outbound
 * call placed by the Call command POSTs CallConnected and runs the reply; one placed by CallSetup is transferred
 * to the callee once answered.
 * Whatever the script does, CallService hangs up when the handler returns.
 */
import type { Counter } from 'prom-client';
import type { CallHandler } from '../calls.js';
import { attachCall, type CallRuntimeDeps } from './call-runtime.js';
import { CallState } from './call-states.js';
import { runScript } from './run.js';
import type { ScriptRoutes } from './script-source.js';
import type { OzmlScript } from './script.js';

export interface OzmlHandlerDeps extends CallRuntimeDeps {
  routes: ScriptRoutes;
  /** SIP status to refuse a call with when its script cannot be had; null: answer it with the fallback. */
  refuseWith?: number | null;
  /** telenode_call_script_fallbacks_total{reason}. */
  fallbacks?: Counter<'reason'>;
}

export function ozmlCallHandler(deps: OzmlHandlerDeps): CallHandler {
  return async (session) => {
    const call = attachCall(session, deps);
    call.changed(CallState.Ringing);
    session.ring();
    const { script, fallback } = await deps.routes.scriptFor(session.info.to.user, call.ctx, session.log);
    if (fallback) {
      call.fellBack(fallback.reason, fallback.errorCode);
      deps.fallbacks?.inc({ reason: fallback.reason });
      if (deps.refuseWith) {
        // Refused before answering: the PBX may try another destination (RFC 3261 §21.4.18, §21.5.4).
        session.reject(deps.refuseWith);
        session.log.warn({ status: deps.refuseWith, reason: fallback.reason, code: fallback.errorCode }, 'call refused: its script could not be had');
        return;
      }
    }
    const end = await runScript(script, call.ctx);
    session.log.info({ end, origin: script.origin, ...(fallback ? { fallback: fallback.reason } : {}) }, 'script finished');
  };
}

/** For a call the Call command placed: CallConnected to `url`, run the reply; no URL or no usable reply → hang up (Ozeki p_4588). */
export function connectedHandler(deps: OzmlHandlerDeps, url: string | null, dialed: string): CallHandler {
  return async (session) => {
    const call = attachCall(session, deps, { dialed });
    call.changed(CallState.Answered);
    call.changed(CallState.InCall);
    if (!url) return;
    let script;
    try {
      script = await call.ctx.ask(url, 'CallConnected', {});
    } catch (err) {
      if (!session.signal.aborted) session.log.error({ err }, 'CallConnected failed; hanging up');
      return;
    }
    if (!script) return;
    const end = await runScript(script, call.ctx);
    session.log.info({ end, origin: script.origin }, 'script finished');
  };
}

/**
 * For Ozeki 10's CallSetup: the caller the command called has answered; REFER them to the callee (a blind
 * transfer, RFC 3515), so their phone calls the callee and telenode's leg ends. A refused REFER is reported to
 * `onFailed` (the command's ErrorUrl) and the call is hung up.
 */
export function transferOnAnswerHandler(deps: OzmlHandlerDeps, dialed: string, referTo: string, onFailed: (err: unknown) => void): CallHandler {
  return async (session) => {
    const call = attachCall(session, deps, { dialed });
    call.changed(CallState.Answered);
    call.changed(CallState.InCall);
    try {
      await session.transfer(referTo);
    } catch (err) {
      if (session.signal.aborted) return;
      session.log.warn({ err, referTo }, 'CallSetup: the caller did not take the transfer to the callee; hanging up');
      onFailed(err);
      return;
    }
    call.changed(CallState.Transferred, { Target: referTo });
  };
}

/**
 * For Ozeki 10's Request: the placed call, once answered, runs `script` when the request gave one (RequestOzML),
 * else the script of the API extension it was placed for, found as for a call to that extension (voice.routes).
 */
export function extensionHandler(deps: OzmlHandlerDeps, dialed: string, extension: string, script: OzmlScript | null): CallHandler {
  return async (session) => {
    const call = attachCall(session, deps, { dialed });
    call.changed(CallState.Answered);
    call.changed(CallState.InCall);
    const chosen = script ?? (await deps.routes.scriptFor(extension, call.ctx, session.log)).script;
    const end = await runScript(chosen, call.ctx);
    session.log.info({ end, origin: chosen.origin, extension }, 'script finished');
  };
}
