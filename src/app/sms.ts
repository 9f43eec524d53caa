/**
 * The SMS core: status writer (with each dialect's delivery reports and the
 * messaging extras' follow-ups), receipts, inbound, connectors, router,
 * outbox, and the expiry and report-timeout sweeps.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import { dialectNotifier } from '../api/dialects.js';
import { enqueueIncomingSms } from '../api/ozeki/notifications.js';
import { sendAdmission } from '../sms/admission.js';
import type { Connector, ConnectorSink } from '../sms/connectors/connector.js';
import { ModemConnector } from '../sms/connectors/modem/modem-connector.js';
import { ElsewhereConnector } from '../sms/connectors/elsewhere.js';
import { SimulatorConnector } from '../sms/connectors/simulator.js';
import { SmppConnector } from '../sms/connectors/smpp/smpp-connector.js';
import { ExpiryWatcher } from '../sms/expiry.js';
import { InboundService } from '../sms/inbound.js';
import { NumberControl } from '../sms/number-control.js';
import { Outbox } from '../sms/outbox.js';
import { QuotaGuard } from '../sms/quota.js';
import { ReceiptProcessor } from '../sms/receipts.js';
import { ReportTimeoutWatcher } from '../sms/report-timeout.js';
import { Router } from '../sms/router.js';
import { StatusWriter, type StatusNotifier } from '../sms/status-writer.js';
import { StatusFeed } from '../sms/status-feed.js';
import { InboundRepo } from '../store/inbound-repo.js';
import { MessageRepo } from '../store/message-repo.js';
import { NumberSettingsRepo } from '../store/number-settings-repo.js';
import { QuotaRepo } from '../store/quota-repo.js';
import { UnmatchedReceiptRepo } from '../store/unmatched-receipt-repo.js';
import { SmppServerRepo } from '../store/smpp-server-repo.js';
import { WebhookRepo } from '../store/webhook-repo.js';
import { smppReceiptNotifier } from '../sms/smpp-server/receipts.js';
import { SmppInboundRoutes } from '../sms/smpp-server/mo-routes.js';
import type { SmppUserConfig } from '../sms/smpp-server/config.js';
import type { MessagingExtras } from './messaging-extras.js';
import type { Store } from './store.js';

export const DEFAULT_SIMULATOR_ID = 'simulator';

export interface SmsCore {
  outbox: Outbox;
  receipts: ReceiptProcessor;
  inbound: InboundService;
  numbers: NumberControl;
  connectors: ReadonlyMap<string, Connector>;
  expiry: ExpiryWatcher;
  reportTimeouts: ReportTimeoutWatcher;
  /** The SMPP server's parts and deliveries (receipts and inbound SMS for its clients are queued there). */
  smppServerStore: SmppServerRepo;
  smppUsers: ReadonlyMap<string, SmppUserConfig>;
  /** Status steps on this node as they happen (the console's live views). */
  statusFeed: StatusFeed;
}

export interface SmsCoreDeps {
  config: Readonly<Config>;
  store: Store;
  extras: MessagingExtras;
  log: Logger;
  registry: Registry;
  /** After a commit that may have queued callbacks or e-mails. */
  afterCommit: () => void;
}

export function buildSms({ config, store, extras, log, registry, afterCommit }: SmsCoreDeps): SmsCore {
  const { sql, committer } = store;
  const repo = new MessageRepo(sql);
  const callbacks = new WebhookRepo(sql, store.cluster?.nodeId ?? null);
  const smppServerStore = new SmppServerRepo(sql);
  const statusFeed = new StatusFeed();
  const notify = statusNotifier(callbacks, smppServerStore, extras, statusFeed);
  const smppUsers = new Map(config.users.flatMap((u) => (u.smpp ? [[u.username, u.smpp] as const] : [])));
  const smppInbound = new SmppInboundRoutes(config.sms.inbound.routes, smppUsers, smppServerStore);
  const numbers = new NumberControl(new NumberSettingsRepo(sql), committer);
  const quota = new QuotaGuard(new Map(config.users.map((u) => [u.username, u.quota])), new QuotaRepo(sql));
  const statusWriter = new StatusWriter(repo, notify);
  const receipts = new ReceiptProcessor({
    repo,
    unmatched: new UnmatchedReceiptRepo(sql),
    shared: store.cluster !== null,
    committer,
    statusWriter,
    log: log.child({ component: 'receipts' }),
    registry,
    afterCommit,
    carrierIdFormats: new Map(config.connectors.flatMap((c) => (c.type === 'smpp' ? [[c.id, c.carrierIdFormat] as const] : []))),
  });
  const inbound = new InboundService({
    repo: new InboundRepo(sql),
    committer,
    notify: async (message) => {
      if (!(await smppInbound.route(message))) await enqueueIncomingSms(callbacks, config.sms.inbound.url, message);
    },
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
      if (!up) receipts.connectorDown(connectorId);
      outbox?.connectorStateChanged(up);
    },
  };
  const connectors = buildConnectors(config, sink, log, registry, store.cluster !== null);
  store.cluster?.shareBinds([...connectors.values()].filter((c): c is SmppConnector => c instanceof SmppConnector));
  store.cluster?.reportConnectors(() => [...connectors.values()].filter((c) => c.isUp()).map((c) => c.id));
  const routes = config.routes.length > 0 ? config.routes : [{ name: 'default', connectors: [...connectors.keys()] }];
  outbox = new Outbox({
    repo,
    committer,
    statusWriter,
    receipts,
    router: new Router(routes),
    connectors,
    config: config.sms,
    log: log.child({ component: 'outbox' }),
    registry,
    afterCommit,
    admission: sendAdmission(numbers, quota),
    cluster: store.cluster ?? undefined,
    claimIntervalMs: config.node.claimSweepSeconds * 1000,
  });
  const expiry = new ExpiryWatcher({ repo, committer, statusWriter, log: log.child({ component: 'expiry' }), afterCommit });
  const reportTimeouts = new ReportTimeoutWatcher({
    repo,
    committer,
    statusWriter,
    log: log.child({ component: 'receipts' }),
    registry,
    afterCommit,
    timeouts: new Map(
      config.connectors.flatMap((c) => ('reportTimeoutMinutes' in c && c.reportTimeoutMinutes ? [[c.id, c.reportTimeoutMinutes * 60_000] as const] : [])),
    ),
  });
  return { outbox, receipts, inbound, numbers, connectors, expiry, reportTimeouts, smppServerStore, smppUsers, statusFeed };
}

function buildConnectors(config: Readonly<Config>, sink: ConnectorSink, log: Logger, registry: Registry, sharedBinds: boolean): Map<string, Connector> {
  const connectors = new Map<string, Connector>();
  for (const c of config.connectors) {
    const child = log.child({ connectorId: c.id });
    if (c.type === 'modem' && c.node !== undefined && c.node !== config.node.id) {
      child.info({ node: c.node }, 'modem connector served by another node: its ports are not opened here');
      connectors.set(c.id, new ElsewhereConnector(c.id, 'modem', c.node));
      continue;
    }
    connectors.set(
      c.id,
      c.type === 'smpp'
        ? new SmppConnector(c, { sink, log: child, registry, sharedBinds })
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
      new SimulatorConnector(
        { id: DEFAULT_SIMULATOR_ID, type: 'simulator', receiptDelayMs: 200, failureRate: 0 },
        sink,
        log.child({ connectorId: DEFAULT_SIMULATOR_ID }),
      ),
    );
  }
  return connectors;
}

/** What a status change causes, in its own transaction: the dialect's delivery report, SMPP clients' receipts, IOVOX follow-ups. */
function statusNotifier(callbacks: WebhookRepo, smppServerStore: SmppServerRepo, extras: MessagingExtras, feed: StatusFeed): StatusNotifier {
  const deliveryReport = dialectNotifier(callbacks);
  const smppReceipts = smppReceiptNotifier(smppServerStore);
  return async (message, previous) => {
    feed.publish(message, previous);
    await deliveryReport(message, previous);
    await smppReceipts(message, previous);
    await extras.followUps(message);
  };
}
