/**
 * telenode as an SMSC for the company's own applications (SMPP 3.4, server
 * side): listens on plain TCP or TLS, caps connections in all and per source
 * address, binds API users that have `smpp` rights (at most `maxBinds` each),
 * takes their messages into the same outbox as every HTTP dialect, and sends
 * their receipts and routed inbound SMS back as deliver_sm from a durable
 * queue (deliveries.ts). Metrics: binds, PDUs, throttling, queued deliveries.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import smpp, { type Pdu, type Server, type Session } from '../connectors/smpp/smpp-lib.js';
import { SmppStatus } from '../connectors/smpp/status-codes.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { capConnections } from '../../shared/connection-caps.js';
import type { Logger } from '../../shared/log.js';
import { RefusalLog } from '../../shared/refusal-log.js';
import type { SmppServerConfig, SmppUserConfig } from './config.js';
import { DeliveryDispatcher } from './deliveries.js';
import type { SmppIntake } from './intake.js';
import type { DeliveryQueueStore } from './ports.js';
import { PerUserRate } from './rate-limit.js';
import { answerRequest, type RequestDeps } from './requests.js';
import { ServerSession, type SessionHost } from './session.js';

/** Checks a username and password (the API's user directory with its log-in guard); throws AUTH_FAILED or AUTH_LOCKED. */
export type SmppAuthenticator = (username: string, password: string, source: string) => Promise<string>;

export interface SmppServerDeps {
  config: SmppServerConfig;
  users: ReadonlyMap<string, SmppUserConfig>;
  authenticate: SmppAuthenticator;
  intake: SmppIntake;
  requests: Omit<RequestDeps, 'intake' | 'withinRate' | 'maxQueueDepth'>;
  queue: DeliveryQueueStore;
  committer: ConstructorParameters<typeof DeliveryDispatcher>[0]['committer'];
  log: Logger;
  registry?: Registry;
}

export class SmppServer implements SessionHost {
  readonly log: Logger;
  readonly enquireLinkTimeoutMs: number;
  readonly bindTimeoutMs: number;
  private server: Server | null = null;
  private readonly sessions = new Set<ServerSession>();
  private readonly boundByUser = new Map<string, Set<ServerSession>>();
  private readonly rate: PerUserRate;
  private readonly deliveries: DeliveryDispatcher;
  private readonly requestDeps: RequestDeps;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly metrics;
  port = 0;

  constructor(private readonly deps: SmppServerDeps) {
    this.log = deps.log;
    this.enquireLinkTimeoutMs = deps.config.enquireLinkTimeoutSeconds * 1000;
    this.bindTimeoutMs = deps.config.bindTimeoutSeconds * 1000;
    this.metrics = serverMetrics(
      deps.registry,
      () => this.boundByUser,
      () => deps.queue.backlog(),
    );
    this.rate = new PerUserRate((systemId) => deps.users.get(systemId)?.mps ?? 0);
    this.requestDeps = {
      ...deps.requests,
      intake: deps.intake,
      maxQueueDepth: deps.config.maxQueueDepth,
      withinRate: (systemId) => {
        if (this.rate.take(systemId)) return true;
        this.metrics.throttled.inc({ user: systemId });
        return false;
      },
    };
    this.deliveries = new DeliveryDispatcher({
      queue: deps.queue,
      committer: deps.committer,
      targets: (systemId) => [...(this.boundByUser.get(systemId) ?? [])].filter((s) => s.takesDeliveries),
      boundClients: () => this.boundByUser.keys(),
      log: deps.log,
      retryMs: deps.config.retrySeconds * 1000,
      onDelivered: (d) => this.metrics.delivered.inc({ user: d.systemId, kind: d.kind }),
    });
  }

  async start(): Promise<{ port: number }> {
    const { config } = this.deps;
    const tls = config.tls ? { key: readFileSync(config.tls.key), cert: readFileSync(config.tls.cert) } : null;
    // A TLS client must finish its handshake within the bind's deadline too (Node's own default: 120 s).
    const server = smpp.createServer(tls ? { debug: false, handshakeTimeout: this.bindTimeoutMs, ...tls } : { debug: false }, (session) =>
      this.accept(session),
    );
    // Counted as TCP connections, so that TLS handshakes left hanging count too (a session exists only after one).
    const refusals = new RefusalLog(this.log, 'SMPP connection refused: too many connections');
    capConnections(server, config, (socket, reached) => {
      this.metrics.refusedConnections.inc();
      refusals.note(reached.source, { open: reached.open, fromSource: reached.fromSource, limit: reached.cap });
      socket.destroy();
    });
    server.on('error', (err: Error) => this.log.error({ err }, 'SMPP server error'));
    // A handshake that fails or times out only emits this: Node leaves the connection open, for ever if the client
    // sends nothing more.
    server.on('tlsClientError', (err: Error & { code?: string }, socket: Socket) => {
      this.log.debug({ err, source: socket.remoteAddress }, 'SMPP TLS handshake failed');
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.deliveries.start();
    const sweepMs = Math.max(250, Math.min(10_000, (config.reassemblyTimeoutSeconds * 1000) / 4));
    this.sweepTimer = setInterval(() => {
      this.deps.intake.sweep().catch((err: unknown) => this.log.error({ err }, 'SMPP reassembly sweep failed'));
    }, sweepMs);
    this.sweepTimer.unref();
    this.log.info({ host: config.host, port: this.port, tls: tls !== null }, 'SMPP server listening');
    return { port: this.port };
  }

  /** Stop taking connections, unbind every client, stop delivering. */
  async stop(): Promise<void> {
    this.deliveries.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const s of this.sessions) s.close();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sessions) s.session.destroy();
  }

  /** Receipts or inbound SMS were queued: offer them to the clients. */
  kick(): void {
    this.deliveries.kick();
  }

  /** Bound sessions per user and role, for /health. */
  status(): { listen: string; binds: Record<string, number> } {
    const binds: Record<string, number> = {};
    for (const [user, set] of this.boundByUser) binds[user] = set.size;
    return { listen: `${this.deps.config.host}:${this.port}`, binds };
  }

  private accept(session: Session): void {
    const socket = (session as unknown as { socket: Socket }).socket;
    const source = socket.remoteAddress ?? 'unknown';
    // No Nagle (as for our own binds, connectors/smpp/bind.ts): a receipt to a quiet client must not wait for the
    // client's delayed ACK of the PDU before it.
    socket.setNoDelay(true);
    this.sessions.add(new ServerSession(session, source, this));
  }

  async bind(session: ServerSession, systemId: string, password: string): Promise<SmppUserConfig | number> {
    try {
      await this.deps.authenticate(systemId, password, session.source);
    } catch (err) {
      const locked = err instanceof AppError && err.code === ErrorCode.AUTH_LOCKED;
      this.metrics.bindFailures.inc({ reason: locked ? 'locked' : 'credentials' });
      this.log.warn({ source: session.source, systemId: systemId.slice(0, 16), locked }, 'SMPP bind refused');
      return locked ? SmppStatus['ESME_RBINDFAIL']! : SmppStatus['ESME_RINVPASWD']!;
    }
    if (session.session.closed) return SmppStatus['ESME_RBINDFAIL']!; // gone while its password was checked
    const user = this.deps.users.get(systemId);
    const held = this.boundByUser.get(systemId)?.size ?? 0;
    if (!user || held >= user.maxBinds) {
      this.metrics.bindFailures.inc({ reason: user ? 'max_binds' : 'no_smpp_rights' });
      this.log.warn(
        { source: session.source, systemId, held },
        user ? 'SMPP bind refused: the user holds all its binds' : 'SMPP bind refused: the user has no SMPP rights',
      );
      return SmppStatus['ESME_RBINDFAIL']!;
    }
    // Counted now, before the answer goes out, so two binds racing cannot both take the last place.
    this.bindSet(systemId).add(session);
    return user;
  }

  bound(session: ServerSession): void {
    this.log.info({ systemId: session.systemId, role: session.role, source: session.source }, 'SMPP client bound');
    if (session.takesDeliveries) this.deliveries.kick();
  }

  closed(session: ServerSession): void {
    this.sessions.delete(session);
    if (!session.systemId) {
      // Closed while its bind was being answered: it may hold a place already.
      for (const [user, set] of this.boundByUser) if (set.delete(session) && set.size === 0) this.boundByUser.delete(user);
      return;
    }
    const set = this.boundByUser.get(session.systemId);
    set?.delete(session);
    if (set && set.size === 0) this.boundByUser.delete(session.systemId);
    this.log.info({ systemId: session.systemId, role: session.role }, 'SMPP client unbound');
  }

  request(session: ServerSession, pdu: Pdu): Promise<Record<string, unknown>> {
    return answerRequest(this.requestDeps, session.systemId!, session.role!, pdu);
  }

  counted(systemId: string, direction: 'in' | 'out', command: string): void {
    this.metrics.pdus.inc({ user: systemId, direction, command });
  }

  private bindSet(systemId: string): Set<ServerSession> {
    let set = this.boundByUser.get(systemId);
    if (!set) this.boundByUser.set(systemId, (set = new Set()));
    return set;
  }
}

function serverMetrics(registry: Registry | undefined, bound: () => ReadonlyMap<string, Set<ServerSession>>, backlog: () => Promise<Map<string, number>>) {
  const registers = registry ? [registry] : [];
  new Gauge({
    name: 'telenode_smpp_server_binds',
    help: 'Bound SMPP client sessions, by user and role',
    labelNames: ['user', 'role'],
    registers,
    collect() {
      this.reset();
      for (const [user, set] of bound()) for (const s of set) if (s.role) this.inc({ user, role: s.role });
    },
  });
  new Gauge({
    name: 'telenode_smpp_server_deliveries_queued',
    help: 'Receipts and inbound SMS waiting for an SMPP client to take them, by user',
    labelNames: ['user'],
    registers,
    async collect() {
      const counts = await backlog();
      this.reset();
      for (const [user, n] of counts) this.set({ user }, n);
    },
  });
  return {
    pdus: new Counter({
      name: 'telenode_smpp_server_pdus_total',
      help: 'PDUs from and to SMPP clients',
      labelNames: ['user', 'direction', 'command'],
      registers,
    }),
    throttled: new Counter({
      name: 'telenode_smpp_server_throttled_total',
      help: 'Submits refused with ESME_RTHROTTLED for the user’s mps',
      labelNames: ['user'],
      registers,
    }),
    delivered: new Counter({
      name: 'telenode_smpp_server_delivered_total',
      help: 'Receipts and inbound SMS a client acknowledged',
      labelNames: ['user', 'kind'],
      registers,
    }),
    bindFailures: new Counter({ name: 'telenode_smpp_server_bind_failures_total', help: 'Binds refused, by reason', labelNames: ['reason'], registers }),
    refusedConnections: new Counter({
      name: 'telenode_smpp_server_connections_refused_total',
      help: 'Connections closed at once: too many in all or from one address',
      registers,
    }),
  };
}
