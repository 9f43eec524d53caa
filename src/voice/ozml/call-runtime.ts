/**
 * What one call carries while a script runs on it: its notification fields,
 * its state changes (CallChanged through the durable callback outbox), its
 * history row when it ends, and the context the interpreter hands to verbs.
 */
import type { Logger } from '../../shared/log.js';
import type { CallHistoryRow } from '../../store/call-history-repo.js';
import type { CallSession } from '../call-session.js';
import { CallState, finalState, historyState } from './call-states.js';
import { parseReply } from './parse.js';
import { rootContext } from './run.js';
import type { RunContext } from './script.js';
import type { ScriptServices } from './services.js';
import { Scope } from './substitute.js';

export interface CallHistorySink {
  record(row: CallHistoryRow): void;
}

export interface CallRuntimeDeps {
  services: ScriptServices;
  history: CallHistorySink | null;
  log: Logger;
}

export interface CallRuntime {
  ctx: RunContext;
  fields(): Record<string, string>;
  changed(state: string, extra?: Record<string, string>): void;
  /**
   * The call's own script could not be had and a fallback runs (or the call is refused): every CallChanged
   * from now on says Reason=ScriptFailed (or NoRoute) with the error code, and the history row's state is
   * ScriptFailed, so the app's owner sees calls that never reached the app.
   */
  fellBack(reason: 'no-route' | 'script-failed', errorCode: string): void;
}

/** Start tracking a call: report Ringing (inbound), and its final state and history row when it ends. */
export function attachCall(session: CallSession, deps: CallRuntimeDeps, options: { dialed?: string } = {}): CallRuntime {
  const { services } = deps;
  const info = session.info;
  const log = session.log;
  let transferred = false;
  let fallback: Record<string, string> | null = null;
  const fields = (): Record<string, string> => ({
    CallId: info.id,
    Caller: info.from.user,
    CallerDisplayName: info.from.displayName ?? '',
    Callee: info.to.user,
    Dialed: options.dialed ?? info.to.user,
    ApiExtension: services.apiExtension,
    Direction: info.direction,
    SipCallId: info.sipCallId,
    StartTime: new Date(session.startedAt).toISOString(),
  });
  const changed = (state: string, extra: Record<string, string> = {}) => {
    if (state === CallState.Transferred) transferred = true;
    log.debug({ state }, 'call state');
    if (!services.callChangedUrl) return;
    void services.events.notify(
      services.callChangedUrl,
      { NotificationName: 'CallChanged', ...fields(), CallState: state, ...fallback, ...extra },
      `call:${info.id}`,
    );
  };
  session.onHoldChange((held) => changed(held ? CallState.Hold : CallState.InCall));
  void session.sip.ended.then((reason) => {
    const answered = session.answeredAt !== null;
    changed(finalState(reason, answered), { EndReason: reason });
    deps.history?.record({
      callId: info.id,
      direction: info.direction,
      source: info.from.user,
      callerId: info.from.displayName ?? info.from.user,
      destination: info.to.user,
      dialed: options.dialed ?? info.to.user,
      state: fallback ? 'ScriptFailed' : historyState(reason, info.direction, transferred),
      endReason: reason,
      startTime: session.startedAt,
      answeredAt: session.answeredAt,
      endedAt: session.endedAt ?? Date.now(),
    });
  });

  const vars = new Scope();
  for (const [k, v] of Object.entries(fields())) vars.set(k, v);
  const ctx = rootContext({
    session,
    signal: session.signal,
    vars,
    services,
    log,
    async ensureAnswered() {
      if (session.state !== 'new') return;
      await session.answer();
      changed(CallState.Answered);
      changed(CallState.InCall);
    },
    callFields: fields,
    async ask(url, notification, extra) {
      const body = await services.app.post({
        url,
        fields: { NotificationName: notification, ...fields(), ...extra },
        timeoutMs: services.appTimeoutMs,
        signal: session.signal,
      });
      return parseReply(body, url);
    },
    changed,
  });
  const fellBack = (reason: 'no-route' | 'script-failed', errorCode: string) => {
    fallback = { Reason: reason === 'no-route' ? 'NoRoute' : 'ScriptFailed', ScriptError: errorCode };
  };
  return { ctx, fields, changed, fellBack };
}
