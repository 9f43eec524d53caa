/**
 * Builds the voice side from its config slice: the chosen SIP engine, the
 * media worker (RTP ports, sockets and clock), TTS and prompts, and the call service with the
 * OzML runtime as the handler that runs each call.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../shared/log.js';
import type { VoiceConfig } from './config.js';
import { CallService, type CallHandler } from './calls.js';
import { MediaHost } from './media/media-host.js';
import { PromptSource } from './media/prompt-source.js';
import { TextToSpeech } from './media/tts.js';
import type { CallControl } from './sip/call-control.js';
import type { CallSession } from './call-session.js';
import { BuiltinSipEngine } from './sip/builtin/builtin-engine.js';
import { DrachtioSipEngine } from './sip/drachtio/drachtio-engine.js';
import { buildOzml, type OzmlVoiceDeps } from './ozml/ozml-voice.js';
import type { EgressPolicy } from '../shared/egress.js';
import type { OzmlCallApi } from './ozml/call-api.js';

export interface VoiceNode {
  engine: CallControl;
  calls: CallService;
  /** Ozeki's call commands (Call, Hangup, ListActiveCalls, ListCallHistory). */
  callApi: OzmlCallApi;
}

export interface BuildVoiceDeps {
  storeDir: string;
  log: Logger;
  registry: Registry;
  /** Replaces the OzML runtime (tests that drive calls by hand). */
  handler?: CallHandler;
  /** Takes a call before the OzML routes when it returns a handler (IOVOX inbound call flows); null leaves it to OzML. */
  claim?: (session: CallSession) => CallHandler | null;
  /** The SMS outbox, callback outbox and call history the OzML runtime uses. */
  ozml?: Omit<OzmlVoiceDeps, 'storeDir' | 'log' | 'egress'>;
  /** Where Play URLs and the OzML app client may connect; none: anywhere. */
  egress?: EgressPolicy | null;
}

export function buildVoice(config: VoiceConfig, deps: BuildVoiceDeps): VoiceNode {
  const log = deps.log.child({ component: 'voice' });
  const engine: CallControl =
    config.engine === 'drachtio'
      ? new DrachtioSipEngine({ ...config.drachtio, inbound: { allow: config.drachtio.allow, auth: config.drachtio.auth } }, log, deps.registry)
      : new BuiltinSipEngine(
          {
            host: config.builtin.host,
            port: config.builtin.port,
            publicAddress: config.builtin.publicAddress,
            transports: config.builtin.transports,
            contactUser: config.builtin.contactUser,
            inbound: { allow: config.builtin.allow, auth: config.builtin.auth },
            registrations: config.builtin.registrations,
            tcp: config.builtin.tcp,
          },
          log,
          deps.registry,
        );
  const media = {
    // One media worker per process: RTP ports, sockets, the clock and playout (docs/decisions/0097).
    host: new MediaHost({ host: config.rtp.host, portMin: config.rtp.portMin, portMax: config.rtp.portMax, nice: config.rtp.workerNice }, log),
    tts: new TextToSpeech({
      ...config.tts,
      cacheDir: config.tts.cacheDir ?? join(deps.storeDir, 'cache', 'tts'),
      maxProcesses: config.tts.maxProcesses ?? availableParallelism(),
    }),
    prompts: new PromptSource({ ...config.prompts, cacheDir: config.prompts.cacheDir ?? join(deps.storeDir, 'cache', 'prompts'), egress: deps.egress ?? null }),
    rtpAddress: config.rtp.publicAddress ?? (config.rtp.host === '0.0.0.0' ? '127.0.0.1' : config.rtp.host),
    acceptRtpFrom: config.rtp.acceptFrom,
    log,
  };
  // With no routes configured, the OzML runtime runs a built-in script that speaks `greeting`.
  const ozml = buildOzml(config, { ...deps.ozml, egress: deps.egress ?? null, storeDir: deps.storeDir, log, registry: deps.registry });
  const claim = deps.claim;
  const scripts: CallHandler = claim ? (session) => (claim(session) ?? ozml.handler)(session) : ozml.handler;
  const calls = new CallService(engine, media, deps.handler ?? scripts, log, deps.registry, {
    maxCalls: config.maxCalls,
    maxCallsPerSource: config.maxCallsPerSource,
  });
  return { engine, calls, callApi: ozml.callApi(calls) };
}
