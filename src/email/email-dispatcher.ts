/**
 * Sends stored e-mails through one SMTP server (nodemailer), oldest due
 * first, one at a time (alerts are few; one connection is kind to the
 * server). A failure — server down, 4xx — is retried with back-off until
 * `maxAgeHours`, then the mail is kept as `dead`. A 5xx for every recipient
 * is permanent and dead at once. Like webhooks: at least once, never lost.
 */
import type { Transporter } from 'nodemailer';
import type { Committer } from '../store/sql.js';
import type { Logger } from '../shared/log.js';
import { backoffDelay } from '../shared/backoff.js';
import type { EmailConfig } from './config.js';
import type { EmailRow, EmailStore } from './email.js';

export interface EmailDispatcherDeps {
  store: EmailStore;
  committer: Pick<Committer, 'run'>;
  config: EmailConfig;
  log: Logger;
  now?: () => number;
  /** Several nodes share the store: due e-mails are claimed for this long, so each is sent by one node. */
  claimLeaseMs?: number;
}

export class EmailDispatcher {
  private readonly now: () => number;
  private transport: Transporter | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private busy: Promise<void> | null = null;
  private again = false;
  /** Outcomes that could not be written, in a row: the drain pauses (back-off) instead of sending those mails again at once. */
  private writeFailures = 0;
  readonly counts = { sent: 0, failedAttempts: 0, dead: 0 };

  constructor(private readonly deps: EmailDispatcherDeps) {
    this.now = deps.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.deps.config.smtp !== null;
  }

  async start(): Promise<void> {
    const smtp = this.deps.config.smtp;
    if (!smtp) return;
    // Loaded only when an SMTP server is configured: nodemailer is ~3 MiB of heap a node without e-mail need not carry.
    const { default: nodemailer } = await import('nodemailer');
    this.transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      auth: smtp.auth,
      tls: { rejectUnauthorized: smtp.rejectUnauthorized },
      connectionTimeout: smtp.timeoutMs,
      greetingTimeout: smtp.timeoutMs,
      socketTimeout: smtp.timeoutMs,
    });
    this.running = true;
    this.kick();
  }

  /** Mail was committed (or is due): look now. */
  kick(): void {
    if (!this.running) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = this.drain().finally(() => {
      this.busy = null;
      if (this.writeFailures > 0) {
        // The store takes no outcome (a full disk): what was sent is still due there, and another pass now would send
        // it again at once, and again. Look again after the retry back-off.
        this.again = false;
        this.retryLater(backoffDelay(this.deps.config.retry, this.writeFailures));
      } else if (this.again) {
        this.again = false;
        this.kick();
      } else {
        this.armTimer().catch((err: unknown) => this.deps.log.error({ err }, 'could not read when the next e-mail is due'));
      }
    });
  }

  pending(): Promise<number> {
    return this.deps.store.pendingCount();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.busy;
    this.transport?.close();
  }

  private async drain(): Promise<void> {
    while (this.running) {
      const lease = this.deps.claimLeaseMs;
      const rows = lease === undefined ? await this.deps.store.due(this.now(), 20) : await this.deps.store.claimDue(this.now(), lease, 20);
      if (rows.length === 0) return;
      for (const row of rows) {
        if (!this.running) return;
        if (!(await this.send(row))) return;
      }
    }
  }

  private retryLater(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), delayMs);
    this.timer.unref();
  }

  private async armTimer(): Promise<void> {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    const next = await this.deps.store.nextDueAt();
    if (next === null || !this.running) return;
    this.timer = setTimeout(() => this.kick(), Math.max(0, next - this.now()));
    this.timer.unref();
  }

  /** Sends one mail and writes its outcome; false when the outcome could not be written. */
  private async send(row: EmailRow): Promise<boolean> {
    const attempt = row.attempts + 1;
    let error: (Error & { responseCode?: number }) | null = null;
    try {
      await this.transport!.sendMail({ from: row.from, to: row.to, subject: row.subject, text: row.text, html: row.html ?? undefined });
    } catch (err) {
      error = err as Error & { responseCode?: number };
    }
    const now = this.now();
    if (!error) {
      this.counts.sent++;
      return this.persist(() => this.deps.store.sent(row.id, attempt, now));
    }
    const permanent = error.responseCode !== undefined && error.responseCode >= 500;
    if (permanent || now - row.createdAt >= this.deps.config.retry.maxAgeHours * 3_600_000) {
      this.counts.dead++;
      this.deps.log.warn({ emailId: row.id, kind: row.kind, attempts: attempt, err: error }, 'e-mail given up: kept as dead');
      return this.persist(() => this.deps.store.dead(row.id, attempt, error!.message));
    }
    this.counts.failedAttempts++;
    if (attempt === 1 || attempt % 10 === 0)
      this.deps.log.info({ emailId: row.id, kind: row.kind, attempts: attempt, err: error }, 'e-mail not sent; will retry');
    const next = now + backoffDelay({ ...this.deps.config.retry, jitter: 0.2 }, attempt);
    return this.persist(() => this.deps.store.failed(row.id, attempt, next, error!.message));
  }

  private async persist(write: () => Promise<void>): Promise<boolean> {
    try {
      await this.deps.committer.run(write);
      this.writeFailures = 0;
      return true;
    } catch (err) {
      this.writeFailures++;
      if (this.writeFailures === 1 || this.writeFailures % 10 === 0)
        this.deps.log.error({ err, failures: this.writeFailures }, 'could not record an e-mail outcome; sending paused for the retry back-off');
      return false;
    }
  }
}
