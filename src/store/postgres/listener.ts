/**
 * A connection that LISTENs on one PostgreSQL channel for the cluster's nodes (SQL NOTIFY, PostgreSQL docs
 * "NOTIFY"): a node that hands work to the cluster says so in the transaction that hands it over; PostgreSQL
 * delivers the notification when that transaction commits, to every session listening, and folds notifications
 * with the same payload in one transaction into one. LISTEN belongs to a session, so it takes a connection of its
 * own (a pooled one would be given to other work, and its LISTEN with it). Notifications sent while no connection
 * listened are gone, so each connection made, the first and every one after a loss, is reported as a wake-up
 * too: whoever relies on them looks for work then, and a periodic sweep stays the backstop.
 */
import pg from 'pg';
import { backoffDelay, type BackoffPolicy } from '../../shared/backoff.js';
import type { Logger } from '../../shared/log.js';

/** A lost connection is made again after 250 ms, doubling to 5 s while the database stays away. */
const RECONNECT: BackoffPolicy = { initialMs: 250, maxMs: 5000 };

export interface PgListenerOptions {
  url: string;
  /** The channel, as NOTIFY names it (quoted for LISTEN, so any name PostgreSQL takes). */
  channel: string;
  applicationName: string;
  connectTimeoutMs: number;
  log: Logger;
}

export class PgListener {
  private client: pg.Client | null = null;
  private handlers: Array<(payload: string | null) => void> = [];
  private retryTimer: NodeJS.Timeout | null = null;
  /** Connections tried since the last one that got going. */
  private failures = 0;
  private stopped = false;
  private lostLogged = false;

  constructor(private readonly options: PgListenerOptions) {}

  /** `payload`: what the notifying transaction sent, or null for a (re)connection, after which anything may have been missed. */
  onNotify(handler: (payload: string | null) => void): void {
    this.handlers.push(handler);
  }

  /** Listens from now on; a database that does not answer yet is tried again in the background. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined); // closing a broken connection has nothing to report
  }

  private async connect(): Promise<void> {
    const { url, channel, applicationName, connectTimeoutMs, log } = this.options;
    const client = new pg.Client({ connectionString: url, application_name: applicationName, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true });
    // Registered before connecting: a connection that breaks later reports here, out of band, and must not become
    // an uncaught exception (the pool's connections have the same guard, pool.ts).
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel === channel) this.emit(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      if (!this.lostLogged) log.warn({ err, channel }, 'cannot listen for the other nodes’ hand-overs yet; the sweep finds them meanwhile');
      this.lostLogged = true;
      this.retryLater();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    if (this.lostLogged) log.info({ channel }, 'listening for the other nodes’ hand-overs again');
    this.lostLogged = false;
    this.emit(null);
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return; // one that never got going, or already replaced
    this.client = null;
    client.end().catch(() => undefined);
    if (this.stopped) return;
    if (!this.lostLogged)
      this.options.log.warn({ channel: this.options.channel }, 'lost the connection that listens for the other nodes’ hand-overs; making it again');
    this.lostLogged = true;
    this.retryLater();
  }

  private retryLater(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = null;
        void this.connect();
      },
      backoffDelay(RECONNECT, ++this.failures),
    );
    this.retryTimer.unref();
  }

  private emit(payload: string | null): void {
    for (const handler of this.handlers) handler(payload);
  }
}
