/**
 * The node, wired once by concern — store (store.ts), callbacks
 * (webhooks.ts), messaging extras (messaging-extras.ts), the SMS core
 * (sms.ts), calls (voice.ts), HTTP (api.ts) — and started and stopped in the
 * order of one list each. Everything gets its dependencies here; nothing
 * reads config on its own. `Daemon.start()` returns when the API listens;
 * `stop()` drains.
 */
import { hostname } from 'node:os';
import { AppError, ErrorCode } from '../shared/errors.js';
import type { FastifyInstance } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../shared/log.js';
import type { Connector } from '../sms/connectors/connector.js';
import type { SmsFailoverHandler } from '../iovox/failover-event.js';
import type { Outbox } from '../sms/outbox.js';
import type { VoiceNode } from '../voice/build-voice.js';
import type { WebhookDispatcher } from '../webhooks/index.js';
import { buildApi, buildUsers } from './api.js';
import { RetentionJob } from './retention.js';
import { recordingsDir } from '../voice/ozml/config.js';
import { buildSmppServer } from './smpp-server.js';
import type { SmppServer } from '../sms/smpp-server/server.js';
import { buildMessagingExtras, type MessagingExtras } from './messaging-extras.js';
import { buildSms, type SmsCore } from './sms.js';
import { openStore, type Store } from './store.js';
import type { Db } from '../store/sqlite/db.js';
import type { SqlExecutor } from '../store/sql.js';
import { buildVoiceNode } from './voice.js';
import { buildWebhooks } from './webhooks.js';

export { DEFAULT_SIMULATOR_ID } from './sms.js';

export interface DaemonOptions {
  config: Readonly<Config>;
  /** Where the config came from, for the start-up log line. */
  configSource: string;
  log?: Logger;
  /** Replaces the SMS-to-voice failover handler; default: iovox/failover-calls.ts, placing calls when voice is on. */
  smsFailover?: SmsFailoverHandler;
  /** Node.js process metrics (event-loop lag, heap, CPU) in this node's registry; false for a throwaway copy (warm-up.ts). */
  processMetrics?: boolean;
  /** Runs when everything but the API has started, just before it listens (`telenode start`'s warm-up, warm-up.ts). */
  beforeListen?: () => Promise<void>;
}

/** One step of the stop sequence; the order of the list is the order things must stop in. */
type StopStep = { name: string; run: (drainMs: number) => void | Promise<void> };

/**
 * How often `telenode_nodejs_eventloop_lag_*` samples the event loop: a timer of this period whose lateness is the lag.
 * prom-client's default, 10 ms, woke the main thread 100 times a second for good — most of an idle node's CPU (9 ms a
 * second; at 50 ms, 6, with 23 wake-ups a second against 101; measured 2026-12-06). Any stall of 50 ms or more still
 * shows, as it delays a sample due within it; the paced latency target (issue 18) is of that order.
 */
const EVENT_LOOP_SAMPLE_MS = 50;

export class Daemon {
  /** What the repos run their SQL on (tests and tools read the store through it). */
  readonly sql: SqlExecutor;
  readonly outbox: Outbox;
  readonly connectors: ReadonlyMap<string, Connector>;

  private constructor(
    readonly config: Readonly<Config>,
    readonly log: Logger,
    private readonly store: Store,
    private readonly sms: SmsCore,
    private readonly api: FastifyInstance,
    readonly address: { host: string; port: number },
    readonly voice: VoiceNode | null,
    /** Address book, IOVOX flows and failover links, e-mail alerts (messaging-extras.ts). */
    readonly extras: MessagingExtras,
    private readonly stopSteps: readonly StopStep[],
    /** The SMPP server for the company's own applications, when `smppServer` is configured. */
    readonly smppServer: SmppServer | null,
    /** Deletes finished work past `retention` (tests run it at once with runNow). */
    readonly retention: RetentionJob,
  ) {
    this.sql = store.sql;
    this.outbox = sms.outbox;
    this.connectors = sms.connectors;
  }

  /** The SQLite connection, for tests and tools that read the file directly; throws on PostgreSQL. */
  get db(): Db {
    if (!this.store.db) throw new AppError(ErrorCode.STORE_FAILED, 'this node runs on PostgreSQL: there is no SQLite file (use daemon.sql)');
    return this.store.db;
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const { config } = options;
    const log = options.log ?? createLogger({ level: config.log.level, format: config.log.format });
    const registry = new Registry();
    if (options.processMetrics !== false)
      collectDefaultMetrics({ register: registry, prefix: 'telenode_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    const store = await openStore(config, registry, log);
    const webhooks = buildWebhooks(config, store, log, registry);
    let extras: MessagingExtras;
    try {
      extras = await buildMessagingExtras({
        config,
        sql: store.sql,
        committer: store.committer,
        log,
        smsFailover: options.smsFailover,
        cluster: store.cluster ?? undefined,
      });
    } catch (err) {
      await store.close(); // a failover link's call flow is broken: nothing has started yet
      throw err;
    }
    let smppServer: SmppServer | null = null;
    const afterCommit = () => {
      webhooks.kick();
      extras.afterCommit();
      smppServer?.kick();
    };
    const sms = buildSms({ config, store, extras, log, registry, afterCommit });
    const voice = buildVoiceNode({ config, store, sms, extras, log, registry, afterCommit });
    const users = buildUsers(config, store.dataDir, log, registry);
    const consoleParts = { configSource: options.configSource, smppServerStatus: () => smppServer?.status() ?? null };
    const api = buildApi({ config, store, sms, webhooks, extras, voice, log, registry, users, cluster: store.cluster, ...consoleParts });
    smppServer = buildSmppServer({ config, store, sms, users, log, registry, afterCommit });

    // Start: what others hand work to first, the connectors once the outbox can take their events, HTTP last.
    await store.cluster?.start();
    await sms.numbers.load();
    if (store.cluster) sms.numbers.refreshEvery(2000, (err) => log.warn({ err }, 'could not read the numbers with SMS switched off; keeping the last list'));
    await webhooks.start();
    await extras.emails.start();
    await sms.outbox.start();
    sms.expiry.start();
    sms.reportTimeouts.start();
    await sms.receipts.loadWaiting();
    sms.receipts.startPurge();
    sms.receipts.startSettling();
    sms.inbound.start();
    await Promise.all([...sms.connectors.values()].map((c) => c.start()));
    await voice?.calls.start();
    // IOVOX SMS-to-voice failover calls (issue 6): they need the voice runtime and the outbox.
    if (voice)
      await extras.failoverCalls?.start({
        calls: voice.calls,
        links: extras.failoverLinks,
        trunks: config.voice.trunks,
        flows: { sms: sms.outbox, flows: extras.iovoxFlows },
      });
    await smppServer?.start();
    await options.beforeListen?.();
    await api.listen({ host: config.http.host, port: config.http.port });
    const retention = startRetention(config, store, voice !== null, log, registry);
    const stopSteps = [{ name: 'retention', run: () => retention.stop() }, ...stopSequence({ api, smppServer, voice, extras, sms, webhooks, store })];
    const bound = api.server.address();
    const address = typeof bound === 'object' && bound ? { host: bound.address, port: bound.port } : { host: config.http.host, port: config.http.port };
    const wildcard = address.host === '0.0.0.0' || address.host === '::';
    store.cluster?.setHttp(config.node.url ?? `http://${wildcard ? hostname() : address.host}:${address.port}`);
    log.info(
      {
        config: options.configSource,
        store: store.location,
        node: config.node.id,
        http: `http://${address.host}:${address.port}`,
        console: config.console.enabled ? `http://${address.host}:${address.port}/admin` : 'disabled',
        connectors: [...sms.connectors.keys()],
        sip: voice?.engine.status().listen ?? 'disabled',
        smpp: smppServer ? `${config.smppServer!.host}:${smppServer.port}` : 'disabled',
      },
      'telenode started',
    );
    return new Daemon(config, log, store, sms, api, address, voice, extras, stopSteps, smppServer, retention);
  }

  /** Stop accepting, drain in-flight submits and callbacks, close the store. */
  async stop(): Promise<void> {
    const drainMs = this.config.shutdown.drainMs;
    this.log.info({ drainMs }, 'stopping: draining in-flight work');
    for (const step of this.stopSteps) {
      this.log.debug({ step: step.name }, 'stopping');
      await step.run(drainMs);
    }
    this.log.info('telenode stopped');
  }
}

/** The retention job, started: the store's finished work, and this node's recordings when it runs voice. */
function startRetention(config: Config, store: Store, withVoice: boolean, log: Logger, registry: Registry): RetentionJob {
  const recordings = withVoice ? recordingsDir(config.voice.recordings, store.dataDir) : null;
  const retention = new RetentionJob(config.retention, store.sql, store.committer, log.child({ component: 'retention' }), registry, recordings);
  retention.start();
  return retention;
}

/** The order things stop in, each step named for the debug log. */
function stopSequence({
  api,
  smppServer,
  voice,
  extras,
  sms,
  webhooks,
  store,
}: {
  api: FastifyInstance;
  smppServer: SmppServer | null;
  voice: VoiceNode | null;
  extras: MessagingExtras;
  sms: SmsCore;
  webhooks: WebhookDispatcher;
  store: Store;
}): StopStep[] {
  // Stop: no new requests, no new calls, then drain the outbox while the connectors still answer, then
  // what the drain committed (receipts, callbacks, e-mails), then the store.
  return [
    { name: 'http', run: () => api.close() },
    // SMPP clients are unbound with the HTTP clients: no new messages; their receipts stay queued for the next start.
    { name: 'smpp-server', run: () => smppServer?.stop() },
    {
      name: 'calls',
      run: async () => {
        // No new failover calls; the ones in progress end with the voice runtime and are then written back.
        const failoverCallsStopped = extras.failoverCalls?.stop();
        await voice?.calls.stop();
        await failoverCallsStopped;
      },
    },
    {
      name: 'sweeps',
      run: () => {
        sms.expiry.stop();
        sms.reportTimeouts.stop();
        sms.numbers.stop();
      },
    },
    { name: 'outbox', run: (drainMs) => sms.outbox.stop(drainMs) },
    {
      name: 'connectors',
      run: async (drainMs) => {
        await Promise.all([...sms.connectors.values()].map((c) => c.stop(drainMs)));
      },
    },
    {
      name: 'receipts and inbound',
      run: async () => {
        sms.receipts.stop();
        sms.inbound.stop();
        await store.committer.flushNow();
      },
    },
    { name: 'callbacks', run: (drainMs) => webhooks.stop(Math.min(drainMs, 5000)) },
    { name: 'e-mails', run: () => extras.emails.stop() },
    { name: 'cluster', run: () => store.cluster?.stop() },
    { name: 'store', run: () => store.close() },
  ];
}
