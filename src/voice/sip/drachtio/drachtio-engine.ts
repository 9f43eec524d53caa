/**
 * The production SIP engine: drachtio-srf talking to a drachtio-server,
 * which owns transports, transactions and dialog timers; we keep calls and
 * media. drachtio-srf reconnects by itself when the server restarts (we cap
 * its backoff, which otherwise grows without bound); we log each
 * (re)connection and report `up` in /health. The dialogs live in
 * drachtio-server, so calls in progress when the connection drops end as
 * `failed`: nothing could signal them any more.
 *
 * Who may call is checked here, as by the built-in engine: drachtio-server
 * passes every INVITE on with its transport's source address, and has no ACL
 * or digest check of its own for an application's calls.
 */
import type { EventEmitter } from 'node:events';
import type { Registry } from 'prom-client';
import * as sip from 'sip';
import type Srf from 'drachtio-srf';
import type { SrfDialog, SrfRequest, SrfResponse } from 'drachtio-srf';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log.js';
import { userOf, type CallControl, type CallInfo, type DialRequest, type EngineStatus, type IncomingCall, type SipCall } from '../call-control.js';
import { DrachtioCall } from './drachtio-call.js';
import { newId } from '../../../shared/ids.js';
import { RefusalLog } from '../../../shared/refusal-log.js';
import { DEFAULT_DIGEST_GUESS_LIMITS, InboundPolicy, digestGuard, type InboundPolicyConfig } from '../inbound-policy.js';

export interface DrachtioEngineConfig {
  host: string;
  port: number;
  secret: string;
  contactUser: string;
  /** How long start() waits for the first connection. */
  connectTimeoutMs?: number;
  /** Longest wait between reconnect attempts after the server went away. */
  reconnectMaxDelayMs?: number;
  /** Who may call (voice.drachtio.allow, voice.drachtio.auth); none: everyone. */
  inbound?: InboundPolicyConfig;
}

/** The part of drachtio-srf's WireProtocol that disconnect() must reach (see there). */
interface RetryingWire {
  closing: boolean;
  reconnectVars?: { retryTimer: NodeJS.Timeout | null };
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_RECONNECT_MAX_DELAY_MS = 2_000;

export class DrachtioSipEngine implements CallControl {
  readonly engine = 'drachtio' as const;
  /** Made by start(): drachtio-srf is loaded only by a node that runs this engine (issue 18: its modules cost ~1 MiB of heap). */
  private srf!: Srf;
  private connected = false;
  private started = false;
  private stopped = false;
  private listen: string[] = [];
  private handler: ((call: IncomingCall) => void) | null = null;
  private admit: (sourceAddress: string) => boolean = () => true;
  private readonly calls = new Set<DrachtioCall>();
  private readonly policy: InboundPolicy;
  /** INVITEs from outside voice.drachtio.allow: a warning per address a minute, not one per packet. */
  private readonly outsiders: RefusalLog;

  constructor(
    private readonly config: DrachtioEngineConfig,
    private readonly log: Logger,
    /** Where the digest guessing counters go (the daemon's /metrics); none in tests that do not look. */
    registry: Registry | null = null,
  ) {
    const inbound = config.inbound ?? { allow: [], auth: null };
    const auth = inbound.auth;
    const guard = auth ? digestGuard(auth.guessing ?? DEFAULT_DIGEST_GUESS_LIMITS, log.child({ component: 'sip-auth' }), registry) : null;
    this.policy = new InboundPolicy(inbound, guard);
    this.outsiders = new RefusalLog(log, 'SIP INVITE from an address outside the ACL (voice.drachtio.allow) refused with 403');
  }

  async start(): Promise<void> {
    const { default: SrfClass } = await import('drachtio-srf');
    this.srf = new SrfClass();
    this.srf.invite((req, res) => this.onInvite(req, res));
    const server = `${this.config.host}:${this.config.port}`;
    const timeoutMs = this.config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    // drachtio-srf emits 'close' and 'reconnecting', which its typings leave out.
    const events = this.srf as unknown as EventEmitter;
    return new Promise((resolve, reject) => {
      const fail = (message: string) => {
        clearTimeout(timer);
        this.stopped = true;
        this.disconnect();
        reject(new AppError(ErrorCode.SIP_START_FAILED, message));
      };
      const timer = setTimeout(() => fail(`no drachtio-server at ${server} within ${timeoutMs} ms`), timeoutMs);
      this.srf.on('connect', (err: Error | null, hostports: string) => {
        if (this.stopped) {
          this.disconnect(); // a reconnect attempt that was already under way when we stopped
          return;
        }
        if (err) {
          if (!this.started) return fail(`drachtio-server at ${server} refused our secret`);
          this.log.error({ server }, 'drachtio-server refused our secret; retrying');
          return;
        }
        this.connected = true;
        this.listen = String(hostports ?? '')
          .split(',')
          .filter(Boolean);
        this.log.info({ engine: 'drachtio', server, listen: this.listen }, this.started ? 'reconnected to drachtio-server' : 'connected to drachtio-server');
        this.started = true;
        clearTimeout(timer);
        resolve();
      });
      // A server that goes away gives 'error' (ECONNRESET), 'close' or both; a refused retry gives both.
      this.srf.on('error', (err: Error) => this.connectionLost(err));
      events.on('close', () => this.connectionLost(null));
      events.on('reconnecting', (attempt: { delay: number; attempt: number }) => this.log.debug({ server, ...attempt }, 'reconnecting to drachtio-server'));
      this.srf.connect({
        host: this.config.host,
        port: this.config.port,
        secret: this.config.secret,
        reconnect: { retryMaxDelay: this.config.reconnectMaxDelayMs ?? DEFAULT_RECONNECT_MAX_DELAY_MS },
      });
    });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.calls].map((c) => c.hangup().catch(() => undefined)));
    this.stopped = true;
    this.disconnect();
    this.connected = false;
  }

  onIncomingCall(handler: (call: IncomingCall) => void, admit: (sourceAddress: string) => boolean = () => true): void {
    this.handler = handler;
    this.admit = admit;
  }

  async dial(request: DialRequest): Promise<SipCall> {
    if (!this.connected) {
      throw new AppError(ErrorCode.CALL_FAILED, `call to ${request.target} failed: not connected to drachtio-server`, { protocolStatus: 503, retryable: true });
    }
    let pending: SrfRequest | null = null;
    const uac = this.srf.createUAC(
      request.target,
      { localSdp: request.localSdp, callingNumber: request.callerId, headers: request.headers, auth: request.auth },
      { cbRequest: (_err, req) => (pending = req) },
    );
    // The ring time is ours: when it runs out the caller hears at once, as with the built-in engine, even if the
    // far end has sent nothing (no CANCEL may go before a provisional answer, RFC 3261 §9.1, so drachtio-server
    // would wait for Timer B, 32 s). drachtio cancels when it may; a 2xx that still comes is hung up (§15).
    let gaveUp = false;
    let timer: NodeJS.Timeout | undefined;
    const ringTime = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        gaveUp = true;
        pending?.cancel();
        reject(
          new AppError(ErrorCode.CALL_FAILED, `call to ${request.target} failed: no answer within ${request.timeoutMs} ms`, {
            protocolStatus: 487,
            retryable: true,
          }),
        );
      }, request.timeoutMs);
    });
    uac.then(
      (late) => {
        if (gaveUp) late.destroy().catch((err: unknown) => this.log.debug({ err }, 'BYE to a call answered after its ring time failed'));
      },
      () => undefined,
    );
    let dialog: SrfDialog;
    try {
      dialog = await Promise.race([uac, ringTime]);
    } catch (err) {
      if (err instanceof AppError) throw err;
      const status = (err as { status?: number }).status ?? 500;
      throw new AppError(ErrorCode.CALL_FAILED, `call to ${request.target} failed: ${status}`, {
        protocolStatus: status,
        cause: err,
        retryable: status >= 500 || status === 408 || status === 480 || status === 486,
      });
    } finally {
      clearTimeout(timer);
    }
    const info: CallInfo = {
      id: newId(),
      sipCallId: dialog.sip.callId,
      direction: 'outbound',
      from: { uri: dialog.local.uri, user: request.callerId, displayName: null },
      to: { uri: dialog.remote.uri, user: userOf(request.target), displayName: null },
      source: `drachtio:${request.target}`,
      headers: {},
    };
    const call = new DrachtioCall(info, this.srf, null, null, this.log.child({ callId: info.id }), (c) => this.calls.delete(c));
    call.adopt(dialog);
    this.calls.add(call);
    return call;
  }

  status(): EngineStatus {
    return { engine: 'drachtio', up: this.connected, listen: this.listen, registrations: [], activeDialogs: this.calls.size };
  }

  private connectionLost(err: Error | null): void {
    if (this.stopped || !this.connected) return; // retries while the server is down fail quietly
    this.connected = false;
    this.log.warn({ err, server: `${this.config.host}:${this.config.port}`, activeCalls: this.calls.size }, 'drachtio-server connection lost; reconnecting');
    for (const call of [...this.calls]) call.connectionLost();
  }

  /**
   * Closes the connection and stops drachtio-srf's reconnect attempts. Its
   * disconnect() needs an open socket: while retrying it throws before it
   * sets its `closing` flag and leaves the retry timer running for ever, so
   * we set the flag and clear the timer ourselves (drachtio-srf 5 internals).
   */
  private disconnect(): void {
    if (this.srf === undefined) return; // never started
    const wire = (this.srf as unknown as { app?: { client?: { wp?: RetryingWire } } }).app?.client?.wp;
    if (wire) {
      wire.closing = true;
      if (wire.reconnectVars?.retryTimer) clearTimeout(wire.reconnectVars.retryTimer);
      if (wire.reconnectVars) wire.reconnectVars.retryTimer = null;
    }
    try {
      this.srf.disconnect();
    } catch (err) {
      this.log.debug({ err }, 'no drachtio-server connection to close');
    }
  }

  /**
   * Whether the INVITE is refused by the ACL or the digest check, answered here if so (403 outside the ACL or when its
   * source is locked out for guessing, with no challenge to guess against; else 401 with a challenge, RFC 3261 §22.2).
   */
  private refused(req: SrfRequest, res: SrfResponse, source: string): boolean {
    if (!this.policy.allows(source)) {
      this.outsiders.note(source, { method: req.method });
      res.send(403);
      return true;
    }
    if (!this.policy.requiresAuth) return false;
    const authorization = parsedAuthorization(req);
    if (authorization === 'unreadable') {
      res.send(400, 'Bad Authorization');
      return true;
    }
    const verdict = this.policy.authenticate({ method: req.method, uri: req.uri, authorization }, source);
    if (verdict.ok) return false;
    if ('lockedForSeconds' in verdict) res.send(403);
    else res.send(401, { headers: { 'WWW-Authenticate': sip.stringifyAuthHeader(verdict.challenge) } });
    return true;
  }

  private onInvite(req: SrfRequest, res: SrfResponse): void {
    const source = String(req.source_address ?? '');
    if (this.refused(req, res, source)) return;
    if (!this.handler || !this.admit(source)) {
      res.send(503);
      return;
    }
    const info = callInfo(req);
    if (!info) {
      res.send(400, 'Bad Request');
      return;
    }
    const call = new DrachtioCall(info, this.srf, req, res, this.log.child({ callId: info.id }), (c) => this.calls.delete(c));
    this.calls.add(call);
    this.handler(call);
  }
}

/**
 * The INVITE's Authorization headers, parsed; 'unreadable' when drachtio-srf's parser cannot read one. drachtio-server
 * passes on headers its own parser took (`Digest realm`, `Basic abc`) on which drachtio-srf's throws: a throw here
 * reached drachtio-srf, which answered 500 and wrote the stack to stderr, a line a packet.
 */
function parsedAuthorization(req: SrfRequest): Record<string, string>[] | undefined | 'unreadable' {
  if (!req.has('Authorization')) return undefined;
  try {
    return req.getParsedHeader('Authorization') as unknown as Record<string, string>[];
  } catch {
    return 'unreadable';
  }
}

/** Who calls whom, from the INVITE; null when its From or To cannot be read (drachtio-server checked them already). */
function callInfo(req: SrfRequest): CallInfo | null {
  let from: ReturnType<SrfRequest['getParsedHeader']>;
  let to: ReturnType<SrfRequest['getParsedHeader']>;
  try {
    from = req.getParsedHeader('from');
    to = req.getParsedHeader('to');
  } catch {
    return null;
  }
  return {
    id: newId(),
    sipCallId: req.callId,
    direction: 'inbound',
    from: { uri: from.uri, user: userOf(from.uri), displayName: from.name ? from.name.replace(/^"|"$/g, '') : null },
    to: { uri: to.uri, user: userOf(to.uri), displayName: null },
    source: `${String(req.protocol ?? 'udp').toLowerCase()}:${req.source_address}:${req.source_port}`,
    headers: Object.fromEntries(
      Object.entries(req.headers ?? {})
        .filter(([k]) => k.toLowerCase().startsWith('x-') || k.toLowerCase() === 'diversion')
        .map(([k, v]) => [k.toLowerCase(), String(v)]),
    ),
  };
}
