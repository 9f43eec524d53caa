/**
 * The services issue 6 adds around the SMS core, wired in one place so
 * daemon.ts only hooks them in: the address book, IOVOX call-flow context and
 * failover links and inbound call flows (checked at start-up), SMS e-mail alerts with their mail
 * outbox, the SMS-to-voice failover handler, and message deadlines.
 */
import { OutboundEmail } from '../email/outbound-email.js';
import type { Config } from '../config/schema.js';
import type { Committer, SqlExecutor } from '../store/sql.js';
import { EmailRepo } from '../store/email-repo.js';
import { ContactRepo } from '../store/contact-repo.js';
import type { StoredMessage } from '../sms/message.js';
import { SmsFailoverRepo } from '../store/sms-failover-repo.js';
import type { Logger } from '../shared/log.js';
import type { ClusterView } from '../shared/cluster-view.js';
import { AddressBook } from '../contacts/address-book.js';
import { EmailDispatcher } from '../email/email-dispatcher.js';
import { templateSet } from '../email/templates.js';
import { SmsAlertMailer } from '../iovox/sms-alerts.js';
import { failoverEventFor, type SmsFailoverHandler } from '../iovox/failover-event.js';
import { londonTimestamp } from '../iovox/london-time.js';
import type { FlowContext } from '../iovox/flow/flow.js';
import { checkFailoverLinks, loadFailoverLinks, type FailoverLink } from '../iovox/failover-links.js';
import { FailoverCalls } from '../iovox/failover-calls.js';
import { loadInboundCallFlows, type InboundCallFlow } from '../iovox/inbound-flows.js';
import { GENERATED_ADMIN_USER } from '../api/http/auth.js';

export interface MessagingExtras {
  contacts: AddressBook;
  iovoxFlows: FlowContext;
  failoverLinks: ReadonlyMap<string, FailoverLink>;
  /** iovox.callFlows: inbound calls that run IOVOX call flows before the OzML routes. */
  inboundCallFlows: readonly InboundCallFlow[];
  emails: EmailDispatcher;
  /** E-mail clients and scripts ask for (SendEmail); null without email.smtp. */
  outboundEmail: OutboundEmail | null;
  /** Places SMS-to-voice failover calls once daemon.ts starts it with the voice runtime; null when DaemonOptions.smsFailover replaces it. */
  failoverCalls: FailoverCalls | null;
  /** Inside a status transaction: failover events and e-mail alerts the change causes. */
  followUps(message: StoredMessage): Promise<void>;
  /** After a commit that may have stored mail or failover work. */
  afterCommit(): void;
}

export async function buildMessagingExtras(deps: {
  config: Readonly<Config>;
  sql: SqlExecutor;
  committer: Committer;
  log: Logger;
  smsFailover?: SmsFailoverHandler;
  /** Several nodes share the store: e-mails and failover calls are claimed, so each goes out once. */
  cluster?: ClusterView;
}): Promise<MessagingExtras> {
  const { config, sql, log } = deps;
  const contacts = new AddressBook(new ContactRepo(sql), deps.committer);
  const emailStore = new EmailRepo(sql);
  const emailTemplates = templateSet(config.email.templates);
  const iovoxFlows: FlowContext = {
    findContact: (selector) => contacts.resolve(selector),
    partnerName: config.iovox.partnerName ?? config.sms.defaultSender,
    sendSmsRule: config.iovox.sendSmsRule,
    emailTemplates: new Set(emailTemplates.keys()),
  };
  const failoverLinks = await loadFailoverLinks(config.iovox.failoverLinks, iovoxFlows);
  if (config.voice.enabled) checkFailoverLinks(failoverLinks, new Set(config.voice.trunks.map((t) => t.id)));
  const usernames = new Set(config.users.length > 0 ? config.users.map((u) => u.username) : [GENERATED_ADMIN_USER]);
  const inboundCallFlows = await loadInboundCallFlows(config.iovox.callFlows, iovoxFlows, usernames);
  const emails = new EmailDispatcher({
    store: emailStore,
    committer: deps.committer,
    config: config.email,
    log: log.child({ component: 'email' }),
    // Long enough for a send to finish (two SMTP timeouts) before another node may take the mail again.
    claimLeaseMs: deps.cluster ? deps.cluster.leaseMs + 2 * (config.email.smtp?.timeoutMs ?? 30_000) : undefined,
  });
  const smsAlerts = new SmsAlertMailer({
    templates: emailTemplates,
    defaultFrom: config.email.from,
    defaultFromName: config.email.fromName,
    enabled: emails.enabled,
    log: log.child({ component: 'sms-alerts' }),
    emails: emailStore,
    formatTime: londonTimestamp,
  });
  const failoverCalls = deps.smsFailover
    ? null
    : new FailoverCalls(new SmsFailoverRepo(sql), config.iovox.failoverCalls, log.child({ component: 'sms-failover' }), Date.now, deps.cluster ?? null);
  const smsFailover: SmsFailoverHandler = deps.smsFailover ?? failoverCalls!;
  return {
    contacts,
    iovoxFlows,
    failoverLinks,
    inboundCallFlows,
    emails,
    outboundEmail: emails.enabled
      ? new OutboundEmail(emailStore, deps.committer, `${config.email.fromName} <${config.email.from}>`, () => emails.kick())
      : null,
    failoverCalls,
    followUps: async (message) => {
      const failover = failoverEventFor(message);
      if (failover) await smsFailover.record(failover);
      await smsAlerts.notify(message);
    },
    afterCommit: () => {
      emails.kick();
      smsFailover.afterCommit?.();
    },
  };
}
