/** The HTTP side: API users (with the log-in guard), /health, and the server with every dialect. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import { hashPassword } from '../shared/password-hash.js';
import { GENERATED_ADMIN_USER, UserDirectory, type ApiUser } from '../api/http/auth.js';
import { LoginGuard } from '../shared/login-guard.js';
import { VoximplantAuth } from '../api/voximplant/auth.js';
import { extensionDirectory } from './extensions.js';
import { buildApiServer, type HealthReport } from '../api/server.js';
import type { ClusterMembership } from './cluster.js';
import { buildConsole } from './console.js';
import { MessageHistoryRepo } from '../store/message-history-repo.js';
import { InboxRepo } from '../store/inbox-repo.js';
import { CallFlowRepo } from '../store/call-flow-repo.js';
import { SENT_FOLDERS, type OzekiDeps } from '../api/ozeki/command.js';
import type { VoiceNode } from '../voice/build-voice.js';
import type { WebhookDispatcher } from '../webhooks/index.js';
import type { MessagingExtras } from './messaging-extras.js';
import type { SmsCore } from './sms.js';
import type { Store } from './store.js';

export interface ApiParts {
  config: Readonly<Config>;
  store: Store;
  sms: SmsCore;
  webhooks: WebhookDispatcher;
  extras: MessagingExtras;
  voice: VoiceNode | null;
  log: Logger;
  registry: Registry;
  /** The API users (buildUsers): the dialects and the SMPP server check the same passwords under one log-in guard. */
  users: UserDirectory;
  /** This node's membership when nodes share a PostgreSQL store; null on SQLite. */
  cluster: ClusterMembership | null;
  /** Where the config came from (a file, or the embedded defaults), for the console. */
  configSource: string;
  /** The SMPP server's binds once it is built, for the console. */
  smppServerStatus: () => { listen: string; binds: Record<string, number> } | null;
}

/** The API users, with the log-in guard that limits guessing over HTTP and SMPP alike. */
export function buildUsers(config: Readonly<Config>, dataDir: string, log: Logger, registry: Registry): UserDirectory {
  const loginGuard = new LoginGuard(config.http.loginLimits, log.child({ component: 'auth' }), registry);
  return new UserDirectory(apiUsers(config, dataDir, log), { guard: loginGuard });
}

export function buildApi(parts: ApiParts): FastifyInstance {
  const { config, store, sms, extras, voice, log, registry, cluster } = parts;
  return buildApiServer({
    outbox: sms.outbox,
    users: parts.users,
    voximplantAuth: new VoximplantAuth(
      parts.users,
      config.users.flatMap((u) => u.voximplant.serviceAccountKeys.map((k) => ({ username: u.username, accountId: u.voximplant.accountId!, ...k }))),
    ),
    numbers: sms.numbers,
    history: new MessageHistoryRepo(store.sql),
    inbox: inboxOf(store, parts.users),
    acrobits: config.acrobits,
    log: log.child({ component: 'api' }),
    registry,
    health: healthReport(parts),
    bodyLimitBytes: config.http.bodyLimitBytes,
    connectionLimits: config.http,
    requestTimeoutMs: config.http.requestTimeoutSeconds * 1000,
    trustedProxies: config.http.trustedProxies,
    contacts: extras.contacts,
    failoverLinks: new Set(extras.failoverLinks.keys()),
    callFlows: { repo: new CallFlowRepo(store.sql), committer: store.committer, context: extras.iovoxFlows },
    calls: voice?.callApi ?? null,
    emails: extras.outboundEmail,
    extensions: extensionDirectory(config, sms, voice),
    callPeers: cluster ? { ask: (query) => cluster.askPeers(query) } : undefined,
    ...(config.console.enabled ? { console: buildConsole(parts) } : {}),
  });
}

/** Ozeki's ReceiveMessage: the read and the downloaded marks in one commit, so a message is handed out once. */
function inboxOf(store: ApiParts['store'], users: UserDirectory): OzekiDeps['inbox'] {
  const repo = new InboxRepo(store.sql);
  const history = new MessageHistoryRepo(store.sql);
  return {
    download: (user, limit, after) => store.committer.run(() => repo.download(user, users.numbersOf(user), limit, after, Date.now())),
    folder: (user, folder, limit, offset) => history.list({ user, ownNumbers: [], direction: 'out', statuses: SENT_FOLDERS[folder], limit, offset }),
  };
}

/**
 * /health: degraded while no connector is up; in a cluster, while this node is cut off from the database or
 * no live node holds a carrier bind (a node without a bind of its own still takes requests: it hands the
 * messages to the node with the bind).
 */
function healthReport({ config, store, sms, webhooks, extras, voice, cluster }: ApiParts): () => Promise<HealthReport> {
  return async () => {
    const connectorStates = [...sms.connectors.values()].map((c) => c.status());
    const stats = webhooks.stats();
    const view = cluster ? await cluster.view() : null;
    const alive = new Set(view?.nodes.filter((n) => n.alive).map((n) => n.id));
    const sending = connectorStates.some((c) => c.up) || (view !== null && view.binds.some((b) => b.nodeId !== null && alive.has(b.nodeId)));
    return {
      status: sending && (cluster?.isMember() ?? true) ? 'ok' : 'degraded',
      connectors: connectorStates,
      outbox: sms.outbox.stats(),
      webhooks: { pending: stats.pending, inFlight: stats.inFlight, dead: stats.dead },
      emails: { enabled: extras.emails.enabled, pending: await extras.emails.pending() },
      commitQueue: store.committer.depth,
      node: config.node.id,
      ...(view ? { cluster: view } : {}),
      ...(voice ? { voice: { ...voice.engine.status(), activeCalls: voice.calls.activeCalls.length } } : {}),
    };
  };
}

/**
 * The configured users; with none, user 'admin' whose random password is
 * written once to <store dir>/admin-password.txt (mode 0600).
 */
function apiUsers(config: Readonly<Config>, dataDir: string, log: Logger): ApiUser[] {
  if (config.users.length > 0) {
    return config.users.map((u) => ({
      username: u.username,
      passwordHash: u.passwordHash,
      apiKeyHashes: u.apiKeyHashes,
      numbers: u.numbers,
      voximplantAccountId: u.voximplant.accountId,
      admin: u.admin,
    }));
  }
  const file = join(dataDir, 'admin-password.txt');
  if (!existsSync(file)) {
    writeFileSync(file, `${randomBytes(12).toString('base64url')}\n`, { mode: 0o600 });
    log.warn({ file }, "no API users configured: created user 'admin' with a random password");
  } else {
    log.info({ file }, "no API users configured: user 'admin', password in file");
  }
  // The embedded defaults' one user is the operator too: the console works after the README's first command.
  return [{ username: GENERATED_ADMIN_USER, passwordHash: hashPassword(readFileSync(file, 'utf8').trim()), admin: true }];
}
