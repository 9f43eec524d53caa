/** The durable callback outbox and the egress policy every outbound URL goes through. */
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { EgressConfig } from '../shared/egress.js';
import type { Logger } from '../shared/log.js';
import { HttpSender, httpSenderOptions } from '../webhooks/http-sender.js';
import { WebhookDispatcher } from '../webhooks/index.js';
import { WebhookRepo } from '../store/webhook-repo.js';
import type { Store } from './store.js';

export function buildWebhooks(config: Readonly<Config>, store: Store, log: Logger, registry: Registry): WebhookDispatcher {
  const webhookLog = log.child({ component: 'webhooks' });
  const perUserEgress = Object.fromEntries(config.users.map((u) => [u.username, u.egress.allow]));
  return new WebhookDispatcher({
    store: new WebhookRepo(store.sql, store.cluster?.nodeId ?? null),
    committer: store.committer,
    cluster: store.cluster ?? undefined,
    config: config.webhooks,
    log: webhookLog,
    registry,
    sender: new HttpSender(httpSenderOptions(config.webhooks, egressConfig(config), perUserEgress)),
  });
}

/** The egress policy's data, as the callback sender and the HTTP client take it. */
export function egressConfig(config: Readonly<Config>): EgressConfig {
  return { allow: config.egress.allow, deny: config.egress.deny, ownPorts: config.http.port ? [config.http.port] : [] };
}
