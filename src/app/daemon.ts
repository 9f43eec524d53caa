/**
 * Wires the node together once: store → webhooks → SMS core → connectors →
 * HTTP API. Everything gets its dependencies here; nothing reads config on
 * its own. `Daemon.start()` returns when the API listens; `stop()` drains.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config/schema.js';
import { openDatabase, type Db } from '../store/db.js';
import { GroupCommitter } from '../store/group-commit.js';
import { storeCommitMetrics } from '../store/commit-metrics.js';
import { LoginGuard } from '../api/http/login-guard.js';
import { ReportTimeoutWatcher } from '../sms/report-timeout.js';
import { EgressPolicy, type EgressConfig } from '../shared/egress.js';
import { ThreadSender } from '../webhooks/thread-sender.js';
import { httpSenderOptions } from '../webhooks/http-sender.js';
import { WalCheckpointer } from '../store/checkpointer.js';
import { MessageRepo } from '../store/message-repo.js';
import { UnmatchedReceiptRepo } from '../store/unmatched-receipt-repo.js';
import { InboundRepo } from '../store/inbound-repo.js';
import { MessageHistoryRepo } from '../store/message-history-repo.js';
import { NumberSettingsRepo } from '../store/number-settings-repo.js';
import { QuotaRepo } from '../store/quota-repo.js';
import { createLogger, type Logger } from '../shared/log.js';
import { hashPassword } from '../shared/password-hash.js';
import { WebhookDispatcher } from '../webhooks/index.js';
import type { Connector, ConnectorSink } from '../sms/connectors/connector.js';
import { SimulatorConnector } from '../sms/connectors/simulator.js';
import { SmppConnector } from '../sms/connectors/smpp/smpp-connector.js';
import { ModemConnector } from '../sms/connectors/modem/modem-connector.js';
import { Router } from '../sms/router.js';
import { StatusWriter, type StatusNotifier } from '../sms/status-writer.js';
import { ReceiptProcessor } from '../sms/receipts.js';
import { InboundService } from '../sms/inbound.js';
import { Outbox } from '../sms/outbox.js';
import { NumberControl } from '../sms/number-control.js';
import { QuotaGuard } from '../sms/quota.js';
import { sendAdmission } from '../sms/admission.js';
import { GENERATED_ADMIN_USER, UserDirectory, type ApiUser } from '../api/http/auth.js';
import { buildApiServer, type HealthReport } from '../api/server.js';
import { enqueueIncomingSms } from '../api/ozeki/notifications.js';
import { dialectNotifier } from '../api/dialects.js';
import { buildVoice, type VoiceNode } from '../voice/build-voice.js';
import { ozmlVoiceServices } from './voice-services.js';
import { inboundCallFlowRouter } from '../iovox/inbound-flows.js';
import { ExpiryWatcher } from '../sms/expiry.js';
import type { SmsFailoverHandler } from '../sms/failover.js';
import { buildMessagingExtras, type MessagingExtras } from './messaging-extras.js';

export const DEFAULT_SIMULATOR_ID = 'simulator';

export interface DaemonOptions {
  config: Readonly<Config>;
  /** Where the config came from, for the start-up log line. */
  configSource: string;
  log?: Logger;
  /** Replaces the SMS-to-voice failover handler; default: iovox/failover-calls.ts, placing calls when voice is on. */
  smsFailover?: SmsFailoverHandler;
}

export class Daemon {
  private constructor(
    readonly config: Readonly<Config>,
    readonly log: Logger,
    readonly db: Db,
    private readonly committer: GroupCommitter,
    private readonly checkpointer: WalCheckpointer,
    readonly outbox: Outbox,
    private readonly receipts: ReceiptProcessor,
    private readonly inbound: InboundService,
    private readonly webhooks: WebhookDispatcher,
    readonly connectors: ReadonlyMap<string, Connector>,
    private readonly api: FastifyInstance,
    readonly address: { host: string; port: number },
    readonly voice: VoiceNode | null,
    /** Address book, IOVOX flows and failover links, e-mail alerts (messaging-extras.ts). */
    readonly extras: MessagingExtras,
    private readonly expiry: ExpiryWatcher,
    private readonly reportTimeouts: ReportTimeoutWatcher,
  ) {}

  static async start(options: DaemonOptions): Promise<Daemon> {
    const { config } = options;
    const log = options.log ?? createLogger({ level: config.log.level });
    const storePath = resolve(config.store.path);
    const db = openDatabase({ path: storePath, synchronous: config.store.synchronous });
    const checkpointer = new WalCheckpointer(storePath);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'telenode_' });
    const committer = new GroupCommitter(db, { onCommit: storeCommitMetrics(registry) });

    const webhookLog = log.child({ component: 'webhooks' });
    const webhooks = new WebhookDispatcher({
      db,
      committer,
      config: config.webhooks,
      log: webhookLog,
      registry,
      sender: new ThreadSender(
        httpSenderOptions(config.webhooks, egressConfig(config), Object.fromEntries(config.users.map((u) => [u.username, u.egress.allow]))),
        webhookLog,
      ),
    });
    let extras: MessagingExtras;
    try {
      extras = buildMessagingExtras({ config, db, committer, log, smsFailover: options.smsFailover });
    } catch (err) {
      db.close(); // a failover link's call flow is broken: nothing has started yet
      throw err;
    }
    const afterCommit = () => {
      webhooks.kick();
      extras.afterCommit();
    };
    const repo = new MessageRepo(db);
    const deliveryReport = dialectNotifier();
    const notify: StatusNotifier = (tx, message, previous) => {
      deliveryReport(tx, message, previous);
      extras.followUps(tx, message);
    };
    const numbers = new NumberControl(new NumberSettingsRepo(db), committer);
    const quota = new QuotaGuard(new Map(config.users.map((u) => [u.username, u.quota])), new QuotaRepo(db));
    const statusWriter = new StatusWriter(repo, notify);
    const receipts = new ReceiptProcessor({
      repo,
      unmatched: new UnmatchedReceiptRepo(db),
      committer,
      statusWriter,
      log: log.child({ component: 'receipts' }),
      registry,
      afterCommit,
      carrierIdFormats: new Map(config.connectors.flatMap((c) => (c.type === 'smpp' ? [[c.id, c.carrierIdFormat] as const] : []))),
    });
    const inbound = new InboundService({
      repo: new InboundRepo(db),
      committer,
      notify: (tx, message) => enqueueIncomingSms(tx, config.sms.inbound.url, message),
      log: log.child({ component: 'inbound' }),
      reassemblyTimeoutMs: config.sms.inbound.reassemblyTimeoutSeconds * 1000,
      registry,
      afterCommit,
      accepts: (recipient) => numbers.isSmsEnabled(recipient),
    });

    let outbox: Outbox | null = null;
    const sink: ConnectorSink = {
      receipt: (event) => receipts.handle(event),
      inbound: async (fragment) => {
        await inbound.receive(fragment);
      },
      connectorStateChanged: (connectorId, up) => {
        log.info({ connectorId, up }, up ? 'connector up' : 'connector down');
        outbox?.connectorStateChanged(up);
      },
    };
    const connectors = buildConnectors(config, sink, log, registry);
    const routes = config.routes.length > 0 ? config.routes : [{ name: 'default', connectors: [...connectors.keys()] }];
    const router = new Router(routes);
    outbox = new Outbox({ repo, committer, statusWriter, receipts, router, connectors, config: config.sms, log: log.child({ component: 'outbox' }), registry, afterCommit, admission: sendAdmission(numbers, quota) });

    const expiry = new ExpiryWatcher({ repo, committer, statusWriter, log: log.child({ component: 'expiry' }), afterCommit });
    const reportTimeouts = new ReportTimeoutWatcher({
      repo,
      committer,
      statusWriter,
      log: log.child({ component: 'receipts' }),
      registry,
      afterCommit,
      timeouts: new Map(config.connectors.flatMap((c) => ('reportTimeoutMinutes' in c && c.reportTimeoutMinutes ? [[c.id, c.reportTimeoutMinutes * 60_000] as const] : []))),
    });
    const loginGuard = new LoginGuard(config.http.loginLimits, log.child({ component: 'auth' }), registry);
    const users = new UserDirectory(apiUsers(config, storePath, log), { guard: loginGuard });
    const voice = config.voice.enabled
      ? buildVoice(config.voice, {
          storeDir: dirname(storePath),
          log,
          registry,
          egress: new EgressPolicy(egressConfig(config)),
          ozml: ozmlVoiceServices({ db, committer, outbox, afterCommit, log }),
          // IOVOX inbound call flows take the calls they match; the rest run OzML routes.
          claim: inboundCallFlowRouter(extras.inboundCallFlows, { sms: outbox, flows: extras.iovoxFlows }),
        })
      : null;
    const health = (): HealthReport => {
      const connectorStates = [...connectors.values()].map((c) => c.status());
      const stats = webhooks.stats();
      return {
        status: connectorStates.some((c) => c.up) ? 'ok' : 'degraded',
        connectors: connectorStates,
        outbox: outbox!.stats(),
        webhooks: { pending: stats.pending, inFlight: stats.inFlight, dead: stats.dead },
        emails: { enabled: extras.emails.enabled, pending: extras.emails.pending() },
        commitQueue: committer.depth,
        ...(voice ? { voice: { ...voice.engine.status(), activeCalls: voice.calls.activeCalls.length } } : {}),
      };
    };
    const api = buildApiServer({
      outbox,
      users,
      numbers,
      history: new MessageHistoryRepo(db),
      acrobits: config.acrobits,
      log: log.child({ component: 'api' }),
      registry,
      health,
      bodyLimitBytes: config.http.bodyLimitBytes,
      contacts: extras.contacts,
      failoverLinks: new Set(extras.failoverLinks.keys()),
      calls: voice?.callApi ?? null,
    });

    webhooks.start();
    extras.emails.start();
    outbox.start();
    expiry.start();
    reportTimeouts.start();
    receipts.startPurge();
    receipts.startSettling();
    inbound.start();
    await Promise.all([...connectors.values()].map((c) => c.start()));
    await voice?.calls.start();
    // IOVOX SMS-to-voice failover calls (issue 6): they need the voice runtime and the outbox.
    if (voice) extras.failoverCalls?.start({ calls: voice.calls, links: extras.failoverLinks, trunks: config.voice.trunks, flows: { sms: outbox, flows: extras.iovoxFlows } });
    await api.listen({ host: config.http.host, port: config.http.port });
    const bound = api.server.address();
    const address = typeof bound === 'object' && bound ? { host: bound.address, port: bound.port } : { host: config.http.host, port: config.http.port };
    log.info(
      { config: options.configSource, store: storePath, http: `http://${address.host}:${address.port}`, connectors: [...connectors.keys()], sip: voice?.engine.status().listen ?? 'disabled' },
      'telenode started',
    );
    return new Daemon(config, log, db, committer, checkpointer, outbox, receipts, inbound, webhooks, connectors, api, address, voice, extras, expiry, reportTimeouts);
  }

  /** Stop accepting, drain in-flight submits and callbacks, close the store. */
  async stop(): Promise<void> {
    const drainMs = this.config.shutdown.drainMs;
    this.log.info({ drainMs }, 'stopping: draining in-flight work');
    await this.api.close();
    // No new failover calls; the ones in progress end with the voice runtime and are then written back.
    const failoverCallsStopped = this.extras.failoverCalls?.stop();
    await this.voice?.calls.stop();
    await failoverCallsStopped;
    this.expiry.stop();
    this.reportTimeouts.stop();
    await this.outbox.stop(drainMs);
    await Promise.all([...this.connectors.values()].map((c) => c.stop(drainMs)));
    this.receipts.stop();
    this.inbound.stop();
    this.committer.flushNow();
    await this.webhooks.stop(Math.min(drainMs, 5000));
    await this.extras.emails.stop();
    this.committer.flushNow();
    await this.checkpointer.stop();
    this.db.close();
    this.log.info('telenode stopped');
  }
}

function buildConnectors(config: Readonly<Config>, sink: ConnectorSink, log: Logger, registry: Registry): Map<string, Connector> {
  const connectors = new Map<string, Connector>();
  for (const c of config.connectors) {
    const child = log.child({ connectorId: c.id });
    connectors.set(
      c.id,
      c.type === 'smpp'
        ? new SmppConnector(c, { sink, log: child, registry })
        : c.type === 'modem'
          ? new ModemConnector(c, { sink, log: child, registry })
          : new SimulatorConnector(c, sink, child),
    );
  }
  if (connectors.size === 0) {
    log.warn(
      { connectorId: DEFAULT_SIMULATOR_ID },
      'no carrier configured: using the built-in simulator connector; messages are answered and "delivered" locally and never leave this machine',
    );
    connectors.set(
      DEFAULT_SIMULATOR_ID,
      new SimulatorConnector({ id: DEFAULT_SIMULATOR_ID, type: 'simulator', receiptDelayMs: 200, failureRate: 0 }, sink, log.child({ connectorId: DEFAULT_SIMULATOR_ID })),
    );
  }
  return connectors;
}

/**
 * The configured users; with none, user 'admin' whose random password is
 * written once to <store dir>/admin-password.txt (mode 0600).
 */
function apiUsers(config: Readonly<Config>, storePath: string, log: Logger): ApiUser[] {
  if (config.users.length > 0) {
    return config.users.map((u) => ({ username: u.username, passwordHash: u.passwordHash, apiKeyHashes: u.apiKeyHashes, numbers: u.numbers }));
  }
  const file = join(dirname(storePath), 'admin-password.txt');
  if (!existsSync(file)) {
    writeFileSync(file, `${randomBytes(12).toString('base64url')}\n`, { mode: 0o600 });
    log.warn({ file }, "no API users configured: created user 'admin' with a random password");
  } else {
    log.info({ file }, "no API users configured: user 'admin', password in file");
  }
  return [{ username: GENERATED_ADMIN_USER, passwordHash: hashPassword(readFileSync(file, 'utf8').trim()) }];
}

/** The egress policy's data (it also crosses to the callback sender thread). */
function egressConfig(config: Readonly<Config>): EgressConfig {
  return { allow: config.egress.allow, deny: config.egress.deny, ownPorts: config.http.port ? [config.http.port] : [] };
}
