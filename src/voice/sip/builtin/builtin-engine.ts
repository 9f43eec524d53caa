/**
 * The built-in SIP engine: the `sip` package's transports and transactions
 * with our dialog layer on top. The embedded default, so a fresh machine
 * answers calls with no other server; drachtio is the production path.
 *
 * Requests are dispatched by dialog (Call-ID + our tag); an INVITE without a
 * To tag is a new call, CANCEL finds its INVITE by Call-ID and Via branch.
 */
import * as sip from 'sip';
import type { Registry } from 'prom-client';
import type { Logger } from '../../../shared/log.js';
import { userOf, type CallControl, type CallInfo, type DialRequest, type EngineStatus, type IncomingCall, type SipCall } from '../call-control.js';
import { ALLOW, type BuiltinCall } from './builtin-call.js';
import { Dialog, makeResponseWithTag, newTag } from './dialog.js';
import { BuiltinIncomingCall } from './incoming-call.js';
import { DEFAULT_DIGEST_GUESS_LIMITS, InboundPolicy, digestGuard, type InboundPolicyConfig } from '../inbound-policy.js';
import { BuiltinOutboundCall } from './outbound-call.js';
import { Registration, type RegistrationConfig } from './registration.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { isRoutableUri } from './fenced-stack.js';
import { checkRequest } from './request-sanity.js';
import { startSipStack } from './sip-stack.js';
import { newId } from '../../../shared/ids.js';
import { RefusalLog } from '../../../shared/refusal-log.js';

export interface BuiltinEngineConfig {
  host: string;
  port: number;
  publicAddress: string | null;
  transports: ('udp' | 'tcp')[];
  inbound: InboundPolicyConfig;
  registrations: RegistrationConfig[];
  /** User part of our Contact and default From. */
  contactUser: string;
  /** Limits on inbound SIP over TCP (defaults in the voice config schema). */
  tcp?: { maxConnections: number; maxConnectionsPerSource: number; idleTimeoutSeconds: number };
}

export class BuiltinSipEngine implements CallControl {
  readonly engine = 'builtin' as const;
  private stack: sip.Stack | null = null;
  private port = 0;
  private contactHost = '';
  private readonly dialogs = new Map<string, BuiltinCall>();
  /** Unanswered INVITEs by Call-ID + branch, for CANCEL and retransmissions. */
  private readonly pending = new Map<string, BuiltinIncomingCall>();
  private readonly policy: InboundPolicy;
  private readonly registrations: Registration[] = [];
  private handler: ((call: IncomingCall) => void) | null = null;
  private admit: (sourceAddress: string) => boolean = () => true;
  /** Requests from outside voice.builtin.allow: a warning per address a minute, not one per packet. */
  private readonly outsiders: RefusalLog;

  constructor(
    private readonly config: BuiltinEngineConfig,
    private readonly log: Logger,
    /** Where the digest guessing counters go (the daemon's /metrics); none in tests that do not look. */
    registry: Registry | null = null,
  ) {
    const auth = config.inbound.auth;
    const guard = auth ? digestGuard(auth.guessing ?? DEFAULT_DIGEST_GUESS_LIMITS, log.child({ component: 'sip-auth' }), registry) : null;
    this.policy = new InboundPolicy(config.inbound, guard);
    this.outsiders = new RefusalLog(log, 'SIP request from an address outside the ACL (voice.builtin.allow) refused with 403');
  }

  get listenPort(): number {
    return this.port;
  }

  async start(): Promise<void> {
    const started = await startSipStack(
      {
        host: this.config.host,
        port: this.config.port,
        publicAddress: this.config.publicAddress,
        udp: this.config.transports.includes('udp'),
        tcp: this.config.transports.includes('tcp'),
        tcpLimits: this.config.tcp ?? { maxConnections: 1000, maxConnectionsPerSource: 50, idleTimeoutSeconds: 60 },
        log: this.log,
      },
      (request, remote) => this.onRequest(request, remote),
    );
    this.stack = started.stack;
    this.port = started.port;
    this.contactHost = started.contactHost;
    for (const config of this.config.registrations) {
      const registration = new Registration(
        config,
        this.stack,
        this.contactUri(registrarTransport(config.registrar)),
        this.log.child({ registrar: config.registrar }),
      );
      this.registrations.push(registration);
      registration.start();
    }
    this.log.info({ engine: 'builtin', listen: this.listen() }, 'SIP engine listening');
  }

  async stop(): Promise<void> {
    await Promise.all(this.registrations.map((r) => r.stop()));
    await Promise.all([...this.dialogs.values()].map((call) => call.hangup().catch(() => undefined)));
    for (const call of this.pending.values()) call.reject(503, 'Service Unavailable');
    this.stack?.destroy();
    this.stack = null;
  }

  onIncomingCall(handler: (call: IncomingCall) => void, admit: (sourceAddress: string) => boolean = () => true): void {
    this.handler = handler;
    this.admit = admit;
  }

  async dial(request: DialRequest): Promise<SipCall> {
    const stack = this.requireStack();
    if (!isRoutableUri(request.target)) throw new AppError(ErrorCode.CALL_FAILED, `cannot call ${request.target}: not a SIP URI with a host`);
    const transport = registrarTransport(request.target);
    const fromUri = `sip:${request.callerId}@${this.contactHost}`;
    const info: CallInfo = {
      id: newId(),
      sipCallId: BuiltinOutboundCall.newCallId(this.contactHost),
      direction: 'outbound',
      from: { uri: fromUri, user: request.callerId, displayName: null },
      to: { uri: request.target, user: userOf(request.target), displayName: null },
      source: `${transport}:${sip.parseUri(request.target).host}`,
      headers: {},
    };
    const call = new BuiltinOutboundCall(
      info,
      request,
      this.contactUri(transport),
      fromUri,
      stack,
      this.log.child({ callId: info.id }),
      (c) => this.dialogs.set(c.dialogKey!, c),
      (c) => this.forget(c),
    );
    await call.place();
    return call;
  }

  status(): EngineStatus {
    return {
      engine: 'builtin',
      up: this.stack !== null,
      listen: this.listen(),
      registrations: this.registrations.map((r) => ({ aor: r.aor, registered: r.registered, lastError: r.lastError, expiresAt: r.expiresAt })),
      activeDialogs: this.dialogs.size,
    };
  }

  private listen(): string[] {
    return this.config.transports.map((t) => `${t}:${this.config.host}:${this.port}`);
  }

  private contactUri(transport: 'udp' | 'tcp'): string {
    return `sip:${this.config.contactUser}@${this.contactHost}:${this.port}${transport === 'tcp' ? ';transport=tcp' : ''}`;
  }

  private requireStack(): sip.Stack {
    if (!this.stack) throw new AppError(ErrorCode.SIP_START_FAILED, 'SIP engine not started');
    return this.stack;
  }

  /**
   * A final response to a request that is not (or not yet) a call's, sent statelessly (RFC 3261 §8.2.7): once, with
   * no transaction kept. Through a transaction it was kept 32 s and, for an INVITE over UDP, repeated six times
   * until an ACK came: anyone could have the node send a forged source 7 answers an INVITE, and hold 32 s of state
   * for every request (20,000 OPTIONS: 76 MiB of heap). A caller that lost the answer sends its request again and is
   * answered again. A final response carries a To tag (RFC 3261 §8.2.6.2) so the caller can match its ACK.
   */
  private reply(request: sip.SipRequest, status: number, reason: string, headers: Record<string, unknown> = {}): void {
    this.stack?.sendStateless(makeResponseWithTag(request, status, reason, newTag(), { headers }));
  }

  private onRequest(request: sip.SipRequest, remote: sip.Remote): void {
    const insane = checkRequest(request);
    if (insane) {
      this.log.debug(
        { method: request.method, from: `${remote.protocol}:${remote.address}:${remote.port}`, status: insane.status, reason: insane.reason },
        'malformed SIP request refused',
      );
      if (request.method !== 'ACK') this.stack?.sendStateless(sip.makeResponse(request, insane.status, insane.reason));
      return;
    }
    this.log.trace(
      { method: request.method, sipCallId: request.headers['call-id'], from: `${remote.protocol}:${remote.address}:${remote.port}` },
      'SIP request',
    );
    if (!this.policy.allows(remote.address)) {
      this.outsiders.note(remote.address, { method: request.method });
      if (request.method !== 'ACK') this.reply(request, 403, 'Forbidden');
      return;
    }
    const toTag = request.headers.to?.params?.['tag'];
    if (toTag) {
      const call = this.dialogs.get(Dialog.key(request.headers['call-id'], String(toTag)));
      if (call) call.inDialog(request);
      else if (request.method !== 'ACK') this.reply(request, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    switch (request.method) {
      case 'INVITE':
        this.newCall(request, remote);
        return;
      case 'CANCEL': {
        const call = this.pending.get(pendingKey(request));
        if (!call) {
          this.reply(request, 481, 'Call/Transaction Does Not Exist');
          return;
        }
        // Through the CANCEL's transaction: a retransmitted CANCEL finds its 200 there, where the call it ended is gone.
        this.stack?.send(makeResponseWithTag(request, 200, 'OK', newTag()));
        call.cancel();
        return;
      }
      case 'OPTIONS':
        this.reply(request, 200, 'OK', { allow: ALLOW, accept: 'application/sdp' });
        return;
      case 'ACK':
        return; // ACK for a non-2xx: absorbed by the transaction layer; a stray one needs no answer
      case 'BYE':
        this.reply(request, 481, 'Call/Transaction Does Not Exist');
        return;
      default:
        this.reply(request, 405, 'Method Not Allowed', { allow: ALLOW });
    }
  }

  private newCall(request: sip.SipRequest, remote: sip.Remote): void {
    if (this.policy.requiresAuth) {
      const authorization = request.headers['authorization'] as Record<string, string>[] | undefined;
      const verdict = this.policy.authenticate({ method: request.method, uri: request.uri, authorization }, remote.address);
      if (!verdict.ok) {
        // A source locked out for guessing gets no challenge, so no nonce to guess against (RFC 3261 §21.4.4).
        if ('lockedForSeconds' in verdict) this.reply(request, 403, 'Forbidden');
        else this.reply(request, 401, 'Unauthorized', { 'www-authenticate': [verdict.challenge] });
        return;
      }
    }
    if (!this.handler || !this.admit(remote.address)) {
      this.reply(request, 503, 'Service Unavailable');
      return;
    }
    const transport = remote.protocol.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
    const info: CallInfo = {
      id: newId(),
      sipCallId: request.headers['call-id'],
      direction: 'inbound',
      from: party(request.headers.from),
      to: party(request.headers.to),
      source: `${transport}:${remote.address}:${remote.port}`,
      headers: extraHeaders(request),
    };
    const key = pendingKey(request);
    const call: BuiltinIncomingCall = new BuiltinIncomingCall(
      info,
      request,
      transport === 'tcp',
      this.contactUri(transport),
      this.requireStack(),
      this.log.child({ callId: info.id }),
      (c) => {
        this.pending.delete(key);
        this.dialogs.set(c.dialogKey!, c);
      },
      (c) => {
        this.pending.delete(key);
        this.forget(c);
      },
    );
    this.pending.set(key, call);
    this.handler(call);
  }

  private forget(call: BuiltinCall): void {
    const key = call.dialogKey;
    if (key && this.dialogs.get(key) === call) this.dialogs.delete(key);
  }
}

function pendingKey(request: sip.SipRequest): string {
  return `${request.headers['call-id']}\u0000${String(request.headers.via[0]?.params['branch'] ?? '')}`;
}

function party(header: sip.NameAddr): { uri: string; user: string; displayName: string | null } {
  const name = header.name ? header.name.replace(/^"|"$/g, '') : null;
  return { uri: header.uri, user: userOf(header.uri), displayName: name };
}

/** X- headers and Diversion: what a PBX uses to pass context the app may need. */
function extraHeaders(request: sip.SipRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if ((name.startsWith('x-') || name === 'diversion') && typeof value === 'string') out[name] = value;
  }
  return out;
}

function registrarTransport(uri: string): 'udp' | 'tcp' {
  return /;transport=tcp/i.test(uri) ? 'tcp' : 'udp';
}
