/**
 * What the OzML runtime gets from the rest of the node, wired here so voice/
 * imports neither api/ nor the outbox: a script's SendSms goes through the
 * same outbox, receipts and SMSDeliveryReport callbacks as the HTTP SendSms
 * (dialect 'ozeki', the same validation); CallChanged and other
 * fire-and-forget notifications go through the durable callback outbox; the
 * call history rides along with other commits (deferred group commit).
 */
import { AppError, ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { Committer, SqlExecutor } from '../store/sql.js';
import { CallHistoryRepo } from '../store/call-history-repo.js';
import { MessageRepo } from '../store/message-repo.js';
import { InboundRepo } from '../store/inbound-repo.js';
import { numberVariants } from '../store/message-history-repo.js';
import { isFinal } from '../sms/message.js';
import { sleep } from '../voice/ozml/sleep.js';
import type { CallEvents, ScriptSmsOutcome } from '../voice/ozml/services.js';
import type { Outbox } from '../sms/outbox.js';
import { WebhookRepo } from '../store/webhook-repo.js';
import { validateCallbackUrl, validateRecipient, validateSender } from '../sms/validate.js';
import type { OzmlVoiceDeps } from '../voice/ozml/ozml-voice.js';

/** The outbox user that SMS sent by call scripts are accounted to (quotas, history). */
export const OZML_SMS_USER = 'ozml';

export function ozmlVoiceServices(deps: {
  sql: SqlExecutor;
  /** In a cluster, the call notifications this node stores are its to send. */
  nodeId: string | null;
  committer: Committer;
  outbox: Outbox;
  afterCommit: () => void;
  log: Logger;
}): Omit<OzmlVoiceDeps, 'storeDir' | 'log'> {
  const history = new CallHistoryRepo(deps.sql);
  const messages = new MessageRepo(deps.sql);
  const inbound = new InboundRepo(deps.sql);
  const callbacks = new WebhookRepo(deps.sql, deps.nodeId);
  const log = deps.log.child({ component: 'ozml' });
  return {
    sms: {
      async send(request) {
        const invalid = (field: string, why: string | null) => {
          if (why) throw new AppError(ErrorCode.REQUEST_INVALID, `${field}: ${why}`, { details: { field } });
        };
        invalid('Recipient', validateRecipient(request.recipient));
        if (request.sender) invalid('Sender', validateSender(request.sender));
        if (request.callbackUrl) invalid('DeliveryReportURL', validateCallbackUrl(request.callbackUrl));
        const message = await deps.outbox.accept({
          user: OZML_SMS_USER,
          dialect: 'ozeki',
          sender: request.sender,
          recipient: request.recipient,
          text: request.text,
          callbackUrl: request.callbackUrl,
          meta: { callId: request.callId },
        });
        return { smsId: message.id };
      },
      // A call waits for a handful of reports at most: reading the message every 200 ms costs less than wiring status events to calls.
      async waitForInbound(filter, timeoutMs, signal) {
        const senders = [...new Set(filter.senders.flatMap(numberVariants))];
        const recipients = filter.recipient ? numberVariants(filter.recipient) : null;
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const found = await inbound.firstFrom(senders, recipients, filter.since);
          if (found) return { id: found.id, sender: found.sender, recipient: found.recipient, text: found.text };
          if (signal.aborted || Date.now() >= deadline) return null;
          await sleep(Math.min(250, deadline - Date.now()), signal);
        }
      },
      async waitForOutcome(smsId, timeoutMs, signal) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const status = (await messages.get(smsId))?.status;
          if (status && isFinal(status)) return status as ScriptSmsOutcome;
          if (signal.aborted || Date.now() >= deadline) return 'timeout';
          await sleep(Math.min(200, deadline - Date.now()), signal);
        }
      },
    },
    events: storedCallEvents(callbacks, deps.committer, deps.afterCommit, log),
    history: {
      record(row) {
        // Deferred: joins the next commit (or one within a second), not an fsync per ended call.
        deps.committer.defer(() => history.insert(row)).catch((err: unknown) => log.error({ err, callId: row.callId }, 'could not store the call history row'));
      },
      list: async (query) => {
        await deps.committer.flushNow(); // rows still waiting for a commit are part of the history
        return history.list(query);
      },
    },
  };
}

/** Call notifications into the durable callback outbox: each a commit of its own, told when it is on disk. */
function storedCallEvents(callbacks: WebhookRepo, committer: Committer, afterCommit: () => void, log: Logger): CallEvents {
  return {
    notify(url, fields, orderKey) {
      const body = new URLSearchParams(fields).toString();
      const kind = fields['NotificationName'] ?? 'notification';
      return committer
        .run(() => callbacks.insert({ orderKey, kind, url, contentType: 'application/x-www-form-urlencoded', body }, Date.now()))
        .then(
          () => {
            afterCommit();
            return true;
          },
          (err: unknown) => {
            log.error({ err, url }, 'could not store a call notification');
            return false;
          },
        );
    },
  };
}
