/** The SMPP server for the company's own applications (`smppServer:`), when configured. */
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import type { UserDirectory } from '../api/http/auth.js';
import { MessageRepo } from '../store/message-repo.js';
import { SmppIntake } from '../sms/smpp-server/intake.js';
import { SmppServer } from '../sms/smpp-server/server.js';
import type { SmsCore } from './sms.js';
import type { Store } from './store.js';

export function buildSmppServer(parts: {
  config: Readonly<Config>;
  store: Store;
  sms: SmsCore;
  users: UserDirectory;
  log: Logger;
  registry: Registry;
  afterCommit: () => void;
}): SmppServer | null {
  const { config, store, sms, users, registry, afterCommit } = parts;
  if (!config.smppServer) return null;
  const log = parts.log.child({ component: 'smpp-server' });
  const messages = new MessageRepo(store.sql);
  const intake = new SmppIntake({
    outbox: sms.outbox,
    parts: sms.smppServerStore,
    queue: sms.smppServerStore,
    committer: store.committer,
    log,
    reassemblyTimeoutMs: config.smppServer.reassemblyTimeoutSeconds * 1000,
    maxParts: config.sms.maxParts,
    afterCommit,
  });
  return new SmppServer({
    config: config.smppServer,
    users: sms.smppUsers,
    authenticate: (username, password, source) => users.authenticate(username, password, source),
    intake,
    requests: { outbox: sms.outbox, lookup: async (id) => (await messages.get(id)) ?? null },
    queue: sms.smppServerStore,
    committer: store.committer,
    log,
    registry,
  });
}
