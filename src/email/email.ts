/** Outbound e-mail (table `emails`, migration 3), stored with the change that caused it. */

export type EmailState = 'pending' | 'sent' | 'dead';

export interface EmailRequest {
  /** What caused it (e.g. 'SmsAlert'), for logs and metrics. */
  kind: string;
  to: string[];
  /** RFC 5322 mailbox: "Name <address>" or an address. */
  from: string;
  subject: string;
  text: string;
  html?: string | null;
}

export interface EmailRow extends EmailRequest {
  id: number;
  state: EmailState;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  sentAt: number | null;
  lastError: string | null;
}

/** What the e-mail outbox needs of the store (store/email-repo.ts implements it). */
export interface EmailStore {
  /** Store an e-mail inside the transaction of the change that causes it; returns its id. */
  insert(request: EmailRequest, now: number): Promise<number>;
  due(now: number, limit: number): Promise<EmailRow[]>;
  /**
   * Several nodes (PostgreSQL): take due e-mails for `leaseMs` (their next attempt moves past it, so no other
   * node takes them meanwhile; if this node dies they come due again for another).
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<EmailRow[]>;
  /** When the next pending e-mail is due; null when none is pending. */
  nextDueAt(): Promise<number | null>;
  sent(id: number, attempts: number, at: number): Promise<void>;
  failed(id: number, attempts: number, nextAttemptAt: number, error: string): Promise<void>;
  dead(id: number, attempts: number, error: string): Promise<void>;
  pendingCount(): Promise<number>;
}
