/**
 * SMS e-mail alerts (the smsAlert* attributes of IOVOX's sendSms rule): a
 * message that carries `meta.smsAlert` gets an e-mail when its fate is known —
 * every outcome (ALL_SMS) or only FAILED/EXPIRED (FAILED_SMS). The mail is
 * rendered and stored inside the status transaction, so it is sent even if
 * the SMTP server is down right now (email-dispatcher.ts retries).
 */
import type { StoredMessage } from '../sms/message.js';
import type { Logger } from '../shared/log.js';
import type { EmailTemplate } from '../email/config.js';
import type { EmailStore } from '../email/email.js';
import { DEFAULT_TEMPLATE_NAME, renderEmail } from '../email/templates.js';
import { MessageStatus, isFinal } from '../sms/message.js';
import { iovoxMetaOf } from './message-meta.js';

/** What a message carries in `meta.smsAlert` (built by the sendSms rule). */
export interface SmsAlertMailerDeps {
  templates: ReadonlyMap<string, EmailTemplate>;
  defaultFrom: string;
  defaultFromName: string;
  /** False without an SMTP server: alerts are skipped, and logged as such. */
  enabled: boolean;
  log: Logger;
  /** The e-mail outbox: alerts are written in the status transaction. */
  emails: Pick<EmailStore, 'insert'>;
  /** Formats the time in the alert (the IOVOX dialect's Europe/London clock). */
  formatTime: (ms: number) => string;
}

export class SmsAlertMailer {
  constructor(private readonly deps: SmsAlertMailerDeps) {}

  /** Inside the status transaction. */
  async notify(message: StoredMessage): Promise<void> {
    const alert = iovoxMetaOf(message).smsAlert;
    if (!alert || !isFinal(message.status)) return;
    const failed = message.status !== MessageStatus.Delivered;
    if (alert.when === 'failed' && !failed) return;
    if (alert.recipients.length === 0) {
      this.deps.log.warn({ messageId: message.id }, 'SMS e-mail alert skipped: the contact has no e-mail address of the chosen type');
      return;
    }
    if (!this.deps.enabled) {
      this.deps.log.warn({ messageId: message.id }, 'SMS e-mail alert skipped: no SMTP server configured (email.smtp)');
      return;
    }
    const template = this.deps.templates.get(alert.template ?? DEFAULT_TEMPLATE_NAME) ?? this.deps.templates.get(DEFAULT_TEMPLATE_NAME)!;
    const rendered = renderEmail(template, {
      status: message.status.toUpperCase(),
      origin: message.sender,
      destination: message.recipient,
      message: message.text,
      contactName: alert.contactName,
      smsActivityId: message.id,
      timestamp: this.deps.formatTime(message.doneAt ?? message.updatedAt),
      errorText: message.errorText ?? message.carrierError ?? '',
    });
    const address = alert.from ?? this.deps.defaultFrom;
    const name = alert.fromName ?? (alert.from ? null : this.deps.defaultFromName);
    await this.deps.emails.insert(
      { kind: 'SmsAlert', to: alert.recipients, from: name ? `"${name.replace(/["\\\r\n]/g, '')}" <${address}>` : address, ...rendered },
      message.doneAt ?? message.updatedAt,
    );
  }
}
