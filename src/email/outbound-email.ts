/**
 * E-mail a client or a script asks for (Ozeki's SendEmail command and verb):
 * stored in the e-mail outbox before the request is answered, then sent and
 * retried by the dispatcher like the SMS alerts. Off (null) without
 * `email.smtp`.
 */
import { AppError, ErrorCode } from '../shared/errors.js';
import type { Committer } from '../store/sql.js';
import { EMAIL_ADDRESS } from './address.js';
import type { EmailStore } from './email.js';

export interface EmailOrder {
  /** Addresses, separated by ',' or ';'. */
  recipients: string;
  /** Empty: the configured sender (`email.fromName <email.from>`). */
  sender: string | null;
  subject: string;
  text: string;
  /** What asked for it, for logs ('OzekiSendEmail', 'OzmlSendEmail'). */
  kind: string;
}

export class OutboundEmail {
  constructor(
    private readonly store: Pick<EmailStore, 'insert'>,
    private readonly committer: Pick<Committer, 'run'>,
    private readonly defaultFrom: string,
    private readonly afterCommit: () => void,
  ) {}

  /** Stores the e-mail; resolves with its id after the commit. Throws REQUEST_INVALID (details.field) for a bad address. */
  async send(order: EmailOrder): Promise<number> {
    const to = order.recipients
      .split(/[;,]/)
      .map((a) => a.trim())
      .filter((a) => a !== '');
    if (to.length === 0) throw new AppError(ErrorCode.REQUEST_INVALID, 'no recipient', { details: { field: 'Recipient' } });
    const bad = to.find((a) => !EMAIL_ADDRESS.test(a));
    if (bad !== undefined) throw new AppError(ErrorCode.REQUEST_INVALID, `not an e-mail address: ${bad.slice(0, 80)}`, { details: { field: 'Recipient' } });
    const sender = order.sender?.trim() || null;
    if (sender !== null && !EMAIL_ADDRESS.test(sender))
      throw new AppError(ErrorCode.REQUEST_INVALID, 'Sender is not an e-mail address', { details: { field: 'Sender' } });
    const id = await this.committer.run(() =>
      this.store.insert({ kind: order.kind, to, from: sender ?? this.defaultFrom, subject: order.subject, text: order.text }, Date.now()),
    );
    this.afterCommit();
    return id;
  }
}
