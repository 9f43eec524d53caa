/**
 * A SIP engine, media and the call service on loopback, with the call
 * handler chosen by each test (until the OzML runtime drives calls).
 */
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createLogger, silentLogger } from '../../src/shared/log.js';
import { BuiltinSipEngine, type BuiltinEngineConfig } from '../../src/voice/sip/builtin/builtin-engine.js';
import { CallService, type CallHandler } from '../../src/voice/calls.js';
import type { CallSession } from '../../src/voice/call-session.js';
import { MediaHost } from '../../src/voice/media/media-host.js';
import { TextToSpeech } from '../../src/voice/media/tts.js';
import { PromptSource } from '../../src/voice/media/prompt-source.js';
import type { CallControl } from '../../src/voice/sip/call-control.js';
import { DrachtioSipEngine } from '../../src/voice/sip/drachtio/drachtio-engine.js';
import type { InboundPolicyConfig } from '../../src/voice/sip/inbound-policy.js';
import { tempDir } from './temp-dir.js';

export const ESPEAK_COMMAND = ['espeak-ng', '-v', '{voice}', '-w', '{out}', '-f', '{textFile}'];

export interface VoiceHarness {
  engine: CallControl;
  calls: CallService;
  /** The built-in engine's SIP port (0 for drachtio). */
  port: number;
  /** host:port where sipp sends its calls. */
  sipTarget: string;
  dir: string;
  tts: TextToSpeech;
  /** The media worker's main-thread side (tests kill its thread). */
  media: MediaHost;
  /** The handler the next call runs. */
  handler: CallHandler;
  /** Sessions in the order calls arrived. */
  sessions: CallSession[];
  /** The call service's metrics. */
  registry: Registry;
  stop: () => Promise<void>;
}

/** Where a reachable drachtio-server is, from the environment; null when none is configured. */
export function drachtioFromEnv(): { host: string; port: number; secret: string; sipTarget: string } | null {
  const { DRACHTIO_HOST: host, DRACHTIO_PORT: port, DRACHTIO_SECRET: secret, DRACHTIO_SIP: sipTarget } = process.env;
  if (!host || !sipTarget) return null;
  return { host, port: Number(port ?? 9022), secret: secret ?? 'cymru', sipTarget };
}

export async function startDrachtioHarness(options: HarnessOptions = {}): Promise<VoiceHarness> {
  const env = drachtioFromEnv();
  if (!env) throw new Error('set DRACHTIO_HOST and DRACHTIO_SIP to run the drachtio scenarios');
  const log = testLogger();
  const engine = new DrachtioSipEngine(
    { host: env.host, port: env.port, secret: env.secret, contactUser: 'telenode', connectTimeoutMs: 5000, inbound: options.inbound },
    log,
  );
  return startWithEngine(engine, log, () => env.sipTarget, undefined, options);
}

function testLogger() {
  // TEST_LOG=debug shows the engine's log while debugging a scenario.
  return process.env['TEST_LOG'] ? createLogger({ level: process.env['TEST_LOG'] as 'debug' }) : silentLogger();
}

export interface HarnessOptions {
  /** The speech synthesiser's argv template (default: espeak-ng). */
  ttsCommand?: string[];
  /** voice.maxCalls (default: no limit). */
  maxCalls?: number;
  /** voice.maxCallsPerSource (default: none). */
  maxCallsPerSource?: number;
  /** Who may call: the engine's allow list and digest users (default: everyone, no digest). */
  inbound?: InboundPolicyConfig;
}

export async function startVoiceHarness(engineOverrides: Partial<BuiltinEngineConfig> = {}, options: HarnessOptions = {}): Promise<VoiceHarness> {
  const log = testLogger();
  const engine = new BuiltinSipEngine(
    {
      host: '127.0.0.1',
      port: 0,
      publicAddress: null,
      transports: ['udp', 'tcp'],
      inbound: { allow: [], auth: null },
      registrations: [],
      contactUser: 'telenode',
      ...engineOverrides,
      ...(options.inbound ? { inbound: options.inbound } : {}),
    },
    log,
  );
  return startWithEngine(
    engine,
    log,
    () => `127.0.0.1:${engine.listenPort}`,
    () => engine.listenPort,
    options,
  );
}

async function startWithEngine(
  engine: CallControl,
  log: ReturnType<typeof testLogger>,
  sipTarget: () => string,
  port: () => number = () => 0,
  options: HarnessOptions = {},
): Promise<VoiceHarness> {
  const dir = tempDir();
  const tts = new TextToSpeech({
    command: options.ttsCommand ?? ESPEAK_COMMAND,
    defaultVoice: 'en-us',
    voices: { 'en-GB': 'en-gb' },
    cacheDir: join(dir.path, 'tts'),
    cacheMaxBytes: 100_000_000,
    maxProcesses: 2,
    timeoutMs: 10_000,
  });
  const media = {
    host: new MediaHost({ host: '127.0.0.1', portMin: 40000, portMax: 44999 }, log),
    tts,
    prompts: new PromptSource({
      cacheDir: join(dir.path, 'prompts'),
      cacheMaxBytes: 100_000_000,
      baseDir: dir.path,
      fetchTimeoutMs: 5000,
      maxBytes: 10_000_000,
    }),
    rtpAddress: '127.0.0.1',
    log,
  };
  const harness: VoiceHarness = {
    engine,
    calls: undefined as unknown as CallService,
    port: 0,
    sipTarget: '',
    dir: dir.path,
    tts,
    media: media.host,
    handler: async (session) => {
      await session.answer();
    },
    sessions: [],
    registry: new Registry(),
    stop: async () => {
      await harness.calls.stop();
      dir.remove();
    },
  };
  harness.calls = new CallService(
    engine,
    media,
    (session) => {
      harness.sessions.push(session);
      return harness.handler(session);
    },
    log,
    harness.registry,
    { maxCalls: options.maxCalls ?? Infinity, maxCallsPerSource: options.maxCallsPerSource ?? null },
  );
  await harness.calls.start();
  harness.port = port();
  harness.sipTarget = sipTarget();
  return harness;
}
