/**
 * Builds the OzML runtime from the voice config slice and what the daemon
 * hands in (the SMS outbox, the callback outbox, the call history): the call
 * handler every inbound call runs, and the call API for Ozeki's commands.
 */
import { Counter, type Registry } from 'prom-client';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { CallHandler, CallService } from '../calls.js';
import type { VoiceConfig } from '../config.js';
import { createHttpAppClient } from './app-client.js';
import type { EgressPolicy } from '../../shared/egress.js';
import { OzmlCallApi, type CallHistoryReader } from './call-api.js';
import type { CallHistorySink } from './call-runtime.js';
import { ozmlCallHandler, type OzmlHandlerDeps } from './ozml-handler.js';
import { ScriptRoutes } from './script-source.js';
import { recordingsDir } from './config.js';
import { finishInterruptedRecordings, keepInterruptedRecordCompletedPromises, listRecordingsFolder } from './interrupted-recordings.js';
import type { AppClient, CallEvents, ScriptEmail, ScriptSms } from './services.js';
import { DiskFloor } from './disk-floor.js';

export type OzmlConfigSlice = Pick<VoiceConfig, 'greeting' | 'routes' | 'fallback' | 'notifications' | 'recordings' | 'outbound' | 'trunks'>;

export interface OzmlVoiceDeps {
  sms?: ScriptSms;
  email?: ScriptEmail | null;
  events?: CallEvents;
  history?: (CallHistorySink & CallHistoryReader) | null;
  app?: AppClient;
  /** Where the app client may connect (scripts choose GoTo and ForwardToUrl URLs). */
  egress?: EgressPolicy | null;
  storeDir: string;
  log: Logger;
  registry?: Registry;
}

export interface OzmlRuntime {
  handler: CallHandler;
  handlerDeps: OzmlHandlerDeps;
  callApi(calls: CallService): OzmlCallApi;
}

const MIB = 1024 * 1024;

export function buildOzml(config: OzmlConfigSlice, deps: OzmlVoiceDeps): OzmlRuntime {
  const log = deps.log.child({ component: 'ozml' });
  const recordings = recordingsDir(config.recordings, deps.storeDir);
  // Before any call: a recording the last run was writing when it stopped is kept, not left without its header.
  const listing = listRecordingsFolder(recordings);
  finishInterruptedRecordings(recordings, log, listing);
  // Then the RecordCompleted each of them was promised, through the callback outbox.
  const events = deps.events ?? loggedEvents(log);
  void keepInterruptedRecordCompletedPromises({ dir: recordings, publicUrl: config.recordings.publicUrl }, events, log, listing);
  const handlerDeps: OzmlHandlerDeps = {
    routes: new ScriptRoutes(config.routes, { greeting: config.greeting, fallbackText: config.fallback.text }),
    refuseWith: config.fallback.refuseWith,
    fallbacks: fallbackCounter(deps.registry),
    history: deps.history ?? null,
    log,
    services: {
      sms: deps.sms ?? noSms,
      email: deps.email ?? null,
      dialer: null,
      app: deps.app ?? createHttpAppClient(deps.egress ?? null),
      events,
      recordings: { dir: recordings, publicUrl: config.recordings.publicUrl, floor: new DiskFloor(recordings, config.recordings.minFreeMiB * MIB) },
      appTimeoutMs: config.notifications.timeoutMs,
      apiExtension: config.notifications.apiExtension,
      callChangedUrl: config.notifications.callChangedUrl,
    },
  };
  const outbound = {
    callerId: config.outbound.callerId,
    ringSeconds: config.outbound.ringSeconds,
    // The voice schema has checked that the id names a trunk.
    trunk: config.trunks.find((t) => t.id === config.outbound.trunk) ?? null,
  };
  return {
    handler: ozmlCallHandler(handlerDeps),
    handlerDeps,
    callApi: (calls) => {
      const api = new OzmlCallApi(calls, handlerDeps, outbound, deps.history ?? null);
      // Scripts dial through the same API (the Call verb); it exists only once the call service does.
      handlerDeps.services.dialer = {
        place: (request) => api.call(request),
        request: (request) => api.request(request),
        setUp: (request) => api.callSetup(request),
        attendedTransfer: (transferred, target) => api.attendedTransfer(transferred, target),
      };
      return api;
    },
  };
}

function fallbackCounter(registry: Registry | undefined): Counter<'reason'> {
  const name = 'telenode_call_script_fallbacks_total';
  const existing = registry?.getSingleMetric(name) as Counter<'reason'> | undefined;
  return (
    existing ??
    new Counter({
      name,
      help: 'Inbound calls whose own script could not be had (no route, or the app/file failed): the fallback ran or the call was refused',
      labelNames: ['reason'],
      registers: registry ? [registry] : [],
    })
  );
}

/** Without the daemon's outbox (a bare voice node in tests) a script's SendSms is refused and logged. */
const noSms: ScriptSms = {
  send: () => Promise.reject(new AppError(ErrorCode.ROUTE_NOT_FOUND, 'this voice node has no SMS outbox')),
  waitForOutcome: () => Promise.resolve('timeout'),
  waitForInbound: () => Promise.resolve(null),
};

/** Without the daemon's callback outbox (a bare voice node in tests) a notification is logged: all it can be. */
function loggedEvents(log: Logger): CallEvents {
  return {
    notify: (url, fields) => {
      log.debug({ url, notification: fields['NotificationName'] }, 'notification not sent: no callback outbox');
      return Promise.resolve(true);
    },
  };
}
