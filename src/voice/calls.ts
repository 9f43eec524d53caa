/**
 * The call registry: every call, inbound or outbound, gets a CallSession and
 * is run by the call handler (the OzML runtime, or a fixed handler until it
 * exists). Whatever the handler does, the call is hung up when it returns,
 * and its port, timers and session are released when the dialog ends.
 *
 * At most `maxCalls` calls at once, placed and answered together: past it an incoming call gets 503 Service
 * Unavailable (RFC 3261 §21.5.4) and a call placed fails as unconnected with SIP 503, so an INVITE flood (or a
 * runaway app) meets a limit the operator chose, not the machine's memory or the RTP range. With
 * `maxCallsPerSource`, one source address (an IPv6 /64) past it gets 503 too, so one caller cannot take them all.
 */
import type { Registry } from 'prom-client';
import { Counter, Gauge, Summary } from 'prom-client';
import type { Logger } from '../shared/log.js';
import { AppError, ErrorCode } from '../shared/errors.js';
import { RefusalLog } from '../shared/refusal-log.js';
import type { CallControl, IncomingCall } from './sip/call-control.js';
import { CallSession, signallingHosts, type MediaDeps } from './call-session.js';
import { sourceGroup } from '../shared/source-group.js';
import { writeOffer } from './media/sdp.js';

export type CallHandler = (session: CallSession) => Promise<void>;

export interface DialOptions {
  target: string;
  callerId: string;
  timeoutMs?: number;
  auth?: { username: string; password: string };
  headers?: Record<string, string>;
}

export interface CallLimits {
  /** Calls in progress at once, both directions (voice.maxCalls). */
  maxCalls: number;
  /** Incoming calls in progress at once from one source (voice.maxCallsPerSource); null: none. */
  maxCallsPerSource: number | null;
}

export class CallService {
  private readonly active = new Map<string, CallSession>();
  /** Calls being placed: not yet in `active`, already holding a port and a place under maxCalls. */
  private placing = 0;
  private readonly metrics;
  private stopping = false;
  /** A warning per source a minute while calls are refused: a flood must not become a log flood. */
  private readonly refusals: RefusalLog;
  private readonly sourceRefusals: RefusalLog;
  /** Incoming calls in progress by source (sourceGroup), while maxCallsPerSource is set. */
  private readonly bySource = new Map<string, number>();

  constructor(
    private readonly control: CallControl,
    private readonly media: MediaDeps,
    private readonly handler: CallHandler,
    private readonly log: Logger,
    registry?: Registry,
    private readonly limits: CallLimits = { maxCalls: Infinity, maxCallsPerSource: null },
  ) {
    const registers = registry ? [registry] : [];
    const active = this.active;
    this.metrics = {
      calls: new Counter({ name: 'telenode_calls_total', help: 'Calls by direction and how they ended', labelNames: ['direction', 'reason'], registers }),
      refused: new Counter({
        name: 'telenode_calls_refused_total',
        help: 'Calls refused because voice.maxCalls (or, inbound, voice.maxCallsPerSource) were in progress, by direction',
        labelNames: ['direction'],
        registers,
      }),
      foreignRtp: new Counter({
        name: 'telenode_rtp_foreign_packets_total',
        help: 'RTP packets a call dropped because they came from neither its SDP host nor its SIP host (counted as calls end)',
        registers,
      }),
      firstSend: new Summary({
        name: 'telenode_rtp_first_send_lateness_seconds',
        help: 'Pacing error of the first RTP packet of each 20 ms tick (timer lateness)',
        percentiles: [0.5, 0.9, 0.99, 0.999],
        maxAgeSeconds: 60,
        ageBuckets: 5,
        registers,
      }),
      lastSend: new Summary({
        name: 'telenode_rtp_last_send_lateness_seconds',
        help: 'Pacing error of the last RTP packet of each 20 ms tick (timer lateness + sending every call’s frame)',
        percentiles: [0.5, 0.9, 0.99, 0.999],
        maxAgeSeconds: 60,
        ageBuckets: 5,
        registers,
      }),
    };
    new Gauge({
      name: 'telenode_calls_active',
      help: 'Calls in progress',
      registers,
      collect() {
        this.set(active.size);
      },
    });
    media.host.onPacing = ({ first, last }) => {
      // Early counts too: Node timers can fire up to 1 ms early.
      for (let i = 0; i < first.length; i++) this.metrics.firstSend.observe(Math.abs(first[i]!) / 1000);
      for (let i = 0; i < last.length; i++) this.metrics.lastSend.observe(Math.abs(last[i]!) / 1000);
    };
    this.refusals = new RefusalLog(log, 'call refused: voice.maxCalls calls are in progress');
    this.sourceRefusals = new RefusalLog(log, 'call refused: voice.maxCallsPerSource calls from this source are in progress');
    control.onIncomingCall(
      (call) => this.incoming(call),
      (source) => !this.atLimit('inbound', source) && !this.sourceAtLimit(source),
    );
  }

  get activeCalls(): readonly CallSession[] {
    return [...this.active.values()];
  }

  /**
   * Start the engine. The media worker starts with the first call (an incoming call's INVITE, or the RTP port of
   * a call placed): until then a node that only sends SMS does not carry its thread (a V8 heap of its own, ~10 MiB;
   * issue 18). A short-lived worker compiles its built-in modules now, so that the first call's does not.
   */
  async start(): Promise<void> {
    await this.control.start();
    this.media.host.prepare();
  }

  /** Hang up every call, then stop the engine and the media worker. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.active.values()].map((s) => s.hangup().catch(() => undefined)));
    await this.control.stop();
    await this.media.host.stop();
  }

  /** Place a call and run `handler` on it once answered (the default handler when none is given). */
  async dial(options: DialOptions, handler: CallHandler = this.handler): Promise<CallSession> {
    if (this.stopping) throw new AppError(ErrorCode.SHUTTING_DOWN, 'telenode is shutting down');
    if (this.atLimit('outbound', 'placed by this node'))
      throw new AppError(ErrorCode.CALL_FAILED, `call to ${options.target} not placed: ${this.limits.maxCalls} calls (voice.maxCalls) are in progress`, {
        protocolStatus: 503,
        retryable: true,
      });
    this.placing++;
    try {
      return await this.place(options, handler);
    } finally {
      this.placing--;
    }
  }

  private async place(options: DialOptions, handler: CallHandler): Promise<CallSession> {
    const bound = await this.media.host.bind();
    let session: CallSession;
    try {
      const localSdp = writeOffer({ address: this.media.rtpAddress, port: bound.port, sessionId: Math.floor(Math.random() * 1e9), version: 1 });
      const call = await this.control.dial({
        target: options.target,
        callerId: options.callerId,
        localSdp,
        timeoutMs: options.timeoutMs ?? 60_000,
        auth: options.auth,
        headers: options.headers,
      });
      session = new CallSession(call, this.media, this.log.child({ callId: call.info.id }));
      session.adoptPort(bound.release);
      if (!call.remoteSdp) throw new AppError(ErrorCode.SDP_INVALID, 'the answer to our INVITE carried no SDP');
      await session.attachOutboundMedia(bound, call.remoteSdp);
    } catch (err) {
      bound.release();
      throw err;
    }
    this.run(session, handler);
    return session;
  }

  private incoming(call: IncomingCall): void {
    if (this.stopping) {
      call.reject(503, 'Service Unavailable');
      return;
    }
    // The media worker starts with the first call (start() above). Started only when the call is answered, its start
    // (65–77 ms, decision 0113) came after the app's answer, while the caller heard nothing; started here it overlaps
    // the app request. Once running this is a resolved promise; a worker that fails to start fails the answer's bind.
    this.media.host.start().catch(() => undefined);
    const session = new CallSession(call, this.media, this.log.child({ callId: call.info.id }));
    session.log.info({ from: call.info.from.user, to: call.info.to.user, source: call.info.source }, 'incoming call');
    this.countSource(session);
    this.run(session, this.handler);
  }

  /** Whether `maxCalls` are in progress; if so the refusal is counted (and logged once a minute for its source). */
  private atLimit(direction: 'inbound' | 'outbound', source: string): boolean {
    if (this.active.size + this.placing < this.limits.maxCalls) return false;
    this.metrics.refused.inc({ direction });
    this.refusals.note(source, { direction, maxCalls: this.limits.maxCalls });
    return true;
  }

  /** Whether `maxCallsPerSource` calls from this source are in progress; if so the refusal is counted and logged. */
  private sourceAtLimit(source: string): boolean {
    const limit = this.limits.maxCallsPerSource;
    if (limit === null || (this.bySource.get(sourceGroup(source)) ?? 0) < limit) return false;
    this.metrics.refused.inc({ direction: 'inbound' });
    this.sourceRefusals.note(source, { maxCallsPerSource: limit });
    return true;
  }

  /** An incoming call counts against its source until it ends. */
  private countSource(session: CallSession): void {
    if (this.limits.maxCallsPerSource === null) return;
    const source = sourceGroup(signallingHosts(session.info)[0] ?? session.info.source);
    this.bySource.set(source, (this.bySource.get(source) ?? 0) + 1);
    void session.sip.ended.then(() => {
      const left = this.bySource.get(source)! - 1;
      if (left === 0) this.bySource.delete(source);
      else this.bySource.set(source, left);
    });
  }

  private run(session: CallSession, handler: CallHandler): void {
    this.active.set(session.info.id, session);
    void session.sip.ended.then((reason) => {
      this.active.delete(session.info.id);
      this.metrics.calls.inc({ direction: session.info.direction, reason });
      const foreignRtp = session.rtpSession?.counters.dropped ?? 0;
      if (foreignRtp > 0) this.metrics.foreignRtp.inc(foreignRtp);
      session.log.info({ reason, seconds: ((Date.now() - session.startedAt) / 1000).toFixed(1), ...(foreignRtp > 0 && { foreignRtp }) }, 'call ended');
    });
    void (async () => {
      try {
        await handler(session);
      } catch (err) {
        if (!session.signal.aborted) session.log.error({ err }, 'call handler failed');
      } finally {
        // The end of the script hangs up (or rejects a call nobody answered).
        if (session.state === 'new') session.reject(480, 'Temporarily Unavailable');
        else await session.hangup().catch((err: unknown) => session.log.warn({ err }, 'hang-up failed'));
      }
    })();
  }
}
