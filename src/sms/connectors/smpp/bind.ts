/**
 * One SMPP session with its own state machine:
 *
 *   idle ──► connecting ──► binding ──► bound ──► unbinding ──► closed
 *               ▲   │           │         │
 *               │   └───────────┴─────────┴──► waiting (back-off) ──┐
 *               └───────────────────────────────────────────────────┘
 *   (stop() moves any state to closed)
 *
 * Keeps the window (submit_sm awaiting a response), sends enquire_link and
 * treats a missing answer, a socket error, a malformed PDU or an unbind from
 * the SMSC as the end of the session: outstanding submits fail retryable and
 * the session reconnects with exponential back-off and jitter.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../../../shared/log.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { backoffDelay } from '../../../shared/backoff.js';
import { coalesceWrites } from '../../../shared/coalesced-writes.js';
import smpp, { pduHeader, type Pdu, type Session } from './smpp-lib.js';
import type { SmppConnectorConfig } from './config.js';
import { statusName, submitError } from './status-codes.js';
import { CarrierPacer, type ThrottleEpisode, type ThrottleOutcome } from './carrier-pacer.js';

export const BindState = {
  Idle: 'idle',
  Connecting: 'connecting',
  Binding: 'binding',
  Bound: 'bound',
  Unbinding: 'unbinding',
  Waiting: 'waiting',
  Closed: 'closed',
} as const;
export type BindState = (typeof BindState)[keyof typeof BindState];

const ALLOWED: Record<BindState, readonly BindState[]> = {
  idle: ['connecting', 'closed'],
  connecting: ['binding', 'waiting', 'closed'],
  binding: ['bound', 'waiting', 'closed'],
  bound: ['unbinding', 'waiting', 'closed'],
  unbinding: ['closed', 'waiting'],
  waiting: ['connecting', 'closed'],
  closed: [],
};

/** SMPP 3.4 §5.1.3 command_status values this session answers with itself. */
const ESME_RINVOPTPARSTREAM = 0xc0;
const ESME_RINVCMDID = 0x03;

export type BindRole = 'transceiver' | 'transmitter' | 'receiver';

export interface BindEvents {
  /** deliver_sm / data_sm: resolve with the command_status to answer (0 = OK). */
  onIncoming(pdu: Pdu, bind: SmppBind): Promise<number>;
  onStateChange(bind: SmppBind, state: BindState): void;
  /** A window slot freed or the bind came up: more parts may go. */
  onReady(bind: SmppBind): void;
  /** The carrier refused a submit for throttling; the pacer says what it did about it. */
  onThrottled?(bind: SmppBind, outcome: ThrottleOutcome): void;
  /** Ten quiet seconds after the last throttling answer. */
  onThrottleEnded?(bind: SmppBind, episode: ThrottleEpisode): void;
}

interface Outstanding {
  resolve: (messageId: string) => void;
  reject: (err: AppError) => void;
  timer: NodeJS.Timeout;
}

export class SmppBind {
  private stateValue: BindState = BindState.Idle;
  private stateSinceValue = Date.now();
  private session: Session | null = null;
  private readonly outstanding = new Map<number, Outstanding>();
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private enquireTimer: NodeJS.Timeout | null = null;
  /** From the TCP connection until bind_resp (armBindDeadline). */
  private bindDeadline: NodeJS.Timeout | null = null;
  private awaitingEnquire = false;
  /** Being handed to another node: no new submits; unbound once the window is empty (finishAndStop). */
  private finishing = false;
  private windowEmptied: (() => void) | null = null;
  /** Spacing and rate of submits: `mps` at most, slower while the carrier throttles. */
  readonly pacer: CarrierPacer;

  constructor(
    readonly name: string,
    readonly role: BindRole,
    private readonly config: SmppConnectorConfig,
    private readonly events: BindEvents,
    private readonly log: Logger,
  ) {
    this.pacer = new CarrierPacer({ mps: config.mps, backoff: config.throttleBackoff });
  }

  get state(): BindState {
    return this.stateValue;
  }

  /** When the bind entered its current state (epoch ms). */
  get stateSince(): number {
    return this.stateSinceValue;
  }

  get canSubmit(): boolean {
    return this.stateValue === BindState.Bound && this.role !== 'receiver' && !this.finishing;
  }

  get windowInUse(): number {
    return this.outstanding.size;
  }

  get freeWindow(): number {
    return this.config.window - this.outstanding.size;
  }

  /** Milliseconds until this bind may send again (0: now), or Infinity when it cannot. */
  waitMs(now: number): number {
    if (!this.canSubmit || this.freeWindow <= 0) return Infinity;
    return this.pacer.waitMs(now);
  }

  /** Connect and bind; also after stop() (a cluster hands a bind slot back to this node). */
  start(): void {
    this.finishing = false;
    if (this.stateValue === BindState.Closed) this.stateValue = BindState.Idle;
    this.connect();
  }

  /**
   * Unbind once the submits on the wire are answered (a cluster hands this bind to another node): it takes no new
   * ones meanwhile, so none is cut off mid-window and sent again through another bind. After `timeoutMs`, as stop().
   */
  async finishAndStop(timeoutMs: number): Promise<void> {
    this.finishing = true;
    if (this.outstanding.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.windowEmptied = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.windowEmptied = null;
    }
    await this.stop();
  }

  /** Unbind politely and close; outstanding submits fail retryable. */
  async stop(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.stopEnquire();
    this.clearBindDeadline();
    const session = this.session;
    if (session && this.stateValue === BindState.Bound) {
      this.transition(BindState.Unbinding);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        session.send(new smpp.PDU('unbind'), () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.transition(BindState.Closed);
    this.failOutstanding(new AppError(ErrorCode.CONNECTOR_STOPPED, 'connector stopped', { retryable: true }));
    session?.destroy();
    this.session = null;
  }

  /**
   * Send one submit_sm; resolves with the carrier's message id. A throttling
   * answer (SMPP_THROTTLED) has already slowed this bind's pacer when the
   * promise rejects, and onThrottled has been told.
   */
  submit(fields: Record<string, unknown>): Promise<string> {
    const session = this.session;
    if (!session || !this.canSubmit) {
      return Promise.reject(new AppError(ErrorCode.CONNECTOR_DOWN, `bind ${this.name} is not bound`, { retryable: true }));
    }
    const ticket = this.pacer.sent(Date.now());
    return this.write(session, fields).then(
      (carrierId) => {
        const ended = this.pacer.accepted(ticket, Date.now());
        if (ended) this.events.onThrottleEnded?.(this, ended);
        return carrierId;
      },
      (err: unknown) => {
        if (err instanceof AppError && err.code === ErrorCode.SMPP_THROTTLED) this.events.onThrottled?.(this, this.pacer.throttled(ticket, Date.now()));
        throw err;
      },
    );
  }

  private write(session: Session, fields: Record<string, unknown>): Promise<string> {
    // The outbox hands over a burst of submits at once, and a commit releases a burst of receipt acks at once:
    // written in one writev (one segment, Nagle being off) per turn of the event loop, not one per PDU.
    coalesceWrites(session.socket);
    return new Promise<string>((resolve, reject) => {
      const pdu = new smpp.PDU('submit_sm', fields);
      const sent = session.send(
        pdu,
        (resp) => this.onSubmitResp(resp),
        undefined,
        () => {
          this.settle(pdu.sequence_number, null, new AppError(ErrorCode.CONNECTOR_DOWN, 'submit_sm could not be written', { retryable: true }));
        },
      );
      if (!sent) {
        reject(new AppError(ErrorCode.CONNECTOR_DOWN, `bind ${this.name} socket is not writable`, { retryable: true }));
        return;
      }
      const timer = setTimeout(() => {
        this.settle(
          pdu.sequence_number,
          null,
          new AppError(ErrorCode.SUBMIT_TIMEOUT, `no submit_sm_resp within ${this.config.submitTimeoutMs} ms`, { retryable: true }),
        );
      }, this.config.submitTimeoutMs);
      this.outstanding.set(pdu.sequence_number, { resolve, reject, timer });
    });
  }

  private onSubmitResp(resp: Pdu): void {
    if (resp.command_status === 0) {
      this.settle(resp.sequence_number, String(resp['message_id'] ?? ''), null);
    } else {
      this.settle(resp.sequence_number, null, submitError(resp.command_status));
    }
  }

  private settle(sequence: number, messageId: string | null, error: AppError | null): void {
    const entry = this.outstanding.get(sequence);
    if (!entry) return;
    this.outstanding.delete(sequence);
    clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve(messageId!);
    if (this.outstanding.size === 0) this.windowEmptied?.();
    this.events.onReady(this);
  }

  private transition(next: BindState): void {
    if (next === this.stateValue) return;
    if (!ALLOWED[this.stateValue].includes(next)) {
      this.log.debug({ bind: this.name, from: this.stateValue, to: next }, 'ignored bind state move');
      return;
    }
    this.stateValue = next;
    this.stateSinceValue = Date.now();
    this.events.onStateChange(this, next);
  }

  private connect(): void {
    if (this.stateValue === BindState.Closed) return;
    this.transition(BindState.Connecting);
    const tls = this.config.tls;
    const options: Record<string, unknown> = { host: this.config.host, port: this.config.port, connectTimeout: 10_000 };
    if (tls) {
      options['tls'] = true;
      options['rejectUnauthorized'] = tls === true ? true : tls.rejectUnauthorized;
      if (tls !== true && tls.ca) options['ca'] = readFileSync(tls.ca);
    }
    let session: Session;
    try {
      session = smpp.connect(options, () => this.bind(session));
    } catch (err) {
      this.lost(`cannot connect: ${(err as Error).message}`);
      return;
    }
    this.session = session;
    session.socket.once('connect', () => this.armBindDeadline(session));
    // TCP_NODELAY: with Nagle's algorithm (RFC 896) a PDU written while an earlier one is unacknowledged waits
    // for that ACK, which the SMSC delays (RFC 1122 §4.2.3.2; 40 ms on Linux) when it has nothing to send back:
    // on a quiet link each submit_sm and deliver_sm_resp could lose up to 40 ms. PDUs written in one turn of the
    // event loop still go out together (coalesceWrites), so a busy link sends no more packets than before.
    session.socket.setNoDelay(true);
    // Every error path ends the session; node-smpp would otherwise throw on an unhandled 'error'.
    session.on('error', (err: Error) => this.lost(`session error: ${err.message}`, session));
    session.on('close', () => this.lost('connection closed', session));
    session.on('deliver_sm', (pdu: Pdu) => this.incoming(session, pdu));
    session.on('data_sm', (pdu: Pdu) => this.incoming(session, pdu));
    session.on('enquire_link', (pdu: Pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu: Pdu) => {
      session.send(pdu.response());
      this.lost('SMSC unbound', session);
    });
    session.on('unknown', (pdu: Pdu) => {
      // SMPP 3.4 §3.3: an unknown command_id is answered with generic_nack (ESME_RINVCMDID); the session goes on.
      if (this.session !== session) return;
      this.log.warn(
        { bind: this.name, commandId: `0x${pdu.command_id.toString(16)}`, sequenceNumber: pdu.sequence_number },
        'unknown command from the SMSC answered with generic_nack',
      );
      if (!pdu.isResponse()) session.send(pdu.response());
    });
    session.on('invalid_pdu', (raw: Buffer, err: Error) => this.invalidPdu(session, raw, err));
  }

  /**
   * A PDU whose header is sound but whose body we cannot decode: answer the request with its own
   * response carrying ESME_RINVOPTPARSTREAM (SMPP 3.4 §5.1.3, "error in the optional part of the PDU
   * body", where such faults live), log it with its octets, and go on with the next PDU. Dropping the
   * session instead made the SMSC send the same PDU after every rebind, with everything behind it stuck.
   */
  private invalidPdu(session: Session, raw: Buffer, err: Error): void {
    if (this.session !== session) return;
    const header = pduHeader(raw);
    const isResponse = (header.commandId & 0x80000000) !== 0;
    this.log.warn(
      {
        bind: this.name,
        command: header.command ?? `0x${header.commandId.toString(16)}`,
        sequenceNumber: header.sequenceNumber,
        reason: err.message,
        octets: raw.subarray(0, 512).toString('hex'),
      },
      isResponse
        ? 'SMSC sent a response we cannot decode; its request times out and is retried'
        : 'SMSC sent a PDU we cannot decode; answered with an error, session stays up',
    );
    if (isResponse) return;
    coalesceWrites(session.socket);
    session.send(
      header.command && smpp.commands[`${header.command}_resp`]
        ? new smpp.PDU(`${header.command}_resp`, { sequence_number: header.sequenceNumber, command_status: ESME_RINVOPTPARSTREAM })
        : new smpp.PDU('generic_nack', { sequence_number: header.sequenceNumber, command_status: ESME_RINVCMDID }),
    );
  }

  private bind(session: Session): void {
    if (this.session !== session || this.stateValue !== BindState.Connecting) return;
    this.transition(BindState.Binding);
    const command = `bind_${this.role}`;
    session.send(
      new smpp.PDU(command, { system_id: this.config.systemId, password: this.config.password, system_type: this.config.systemType, interface_version: 0x34 }),
      (resp: Pdu) => {
        this.clearBindDeadline();
        if (this.session !== session) return;
        if (resp.command_status !== 0) {
          this.log.error({ bind: this.name, status: statusName(resp.command_status) }, 'SMSC refused the bind');
          this.lost(`bind refused: ${statusName(resp.command_status)}`, session);
          return;
        }
        this.reconnectAttempt = 0;
        this.transition(BindState.Bound);
        this.log.info({ bind: this.name, role: this.role, host: this.config.host, port: this.config.port }, 'bound');
        this.startEnquire(session);
        this.events.onReady(this);
      },
    );
  }

  private incoming(session: Session, pdu: Pdu): void {
    if (this.session !== session) return;
    void this.events
      .onIncoming(pdu, this)
      .catch((err: unknown) => {
        // ESME_RX_T_APPN (SMPP 3.4 §5.1.3): temporary, the SMSC delivers it again.
        this.log.warn(
          { bind: this.name, command: pdu.command, sequenceNumber: pdu.sequence_number, err },
          'could not store what the SMSC sent; answered ESME_RX_T_APPN so it comes again',
        );
        return 0x64;
      })
      .then((status) => {
        if (session.closed) return;
        coalesceWrites(session.socket);
        session.send(pdu.response(status === 0 ? {} : { command_status: status }));
      });
  }

  /**
   * SMPP 3.4 §7.2's response_timer, for the bind too, from the TCP connection on (a TLS handshake included): a peer
   * that takes the connection and never answers — a hung SMSC, a balancer in front of a dead one, the wrong service
   * on the port, a TLS endpoint that never finishes its handshake — would otherwise hold the bind in `connecting` or
   * `binding` for good, never trying again (enquire_link starts only once bound).
   */
  private armBindDeadline(session: Session): void {
    this.clearBindDeadline();
    this.bindDeadline = setTimeout(() => {
      this.bindDeadline = null;
      if (this.session !== session || (this.stateValue !== BindState.Connecting && this.stateValue !== BindState.Binding)) return;
      const stage = this.stateValue === BindState.Connecting ? 'the TLS handshake' : `bind_${this.role}_resp`;
      this.log.warn(
        { bind: this.name, host: this.config.host, port: this.config.port, timeoutMs: this.config.bindTimeoutMs, waitingFor: stage },
        'SMSC did not answer the bind; closing the connection and trying again',
      );
      this.lost(`no ${stage} within ${this.config.bindTimeoutMs} ms`, session);
    }, this.config.bindTimeoutMs);
    this.bindDeadline.unref();
  }

  private clearBindDeadline(): void {
    if (this.bindDeadline) clearTimeout(this.bindDeadline);
    this.bindDeadline = null;
  }

  private startEnquire(session: Session): void {
    this.stopEnquire();
    this.enquireTimer = setInterval(() => {
      if (this.awaitingEnquire) {
        this.lost('no enquire_link_resp: link presumed dead', session);
        return;
      }
      this.awaitingEnquire = true;
      session.send(new smpp.PDU('enquire_link'), () => {
        this.awaitingEnquire = false;
      });
    }, this.config.enquireLinkSeconds * 1000);
    this.enquireTimer.unref();
  }

  private stopEnquire(): void {
    if (this.enquireTimer) clearInterval(this.enquireTimer);
    this.enquireTimer = null;
    this.awaitingEnquire = false;
  }

  private failOutstanding(error: AppError): void {
    const entries = [...this.outstanding.values()];
    this.outstanding.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.windowEmptied?.();
  }

  /** The session is over: fail what was in flight and reconnect after a back-off. */
  private lost(reason: string, session?: Session): void {
    if (session && this.session !== session) return;
    const current = this.session;
    this.session = null;
    this.stopEnquire();
    this.clearBindDeadline();
    if (this.stateValue === BindState.Closed) return;
    const wasBound = this.stateValue === BindState.Bound;
    this.transition(BindState.Waiting);
    this.failOutstanding(new AppError(ErrorCode.CONNECTOR_DOWN, `bind ${this.name}: ${reason}`, { retryable: true }));
    if (current) {
      current.removeAllListeners('close');
      current.on('error', () => undefined);
      current.destroy();
    }
    this.reconnectAttempt++;
    const delay = backoffDelay({ ...this.config.reconnect, jitter: 0.2 }, this.reconnectAttempt);
    (wasBound ? this.log.warn.bind(this.log) : this.log.debug.bind(this.log))({ bind: this.name, reason, retryInMs: Math.round(delay) }, 'session lost');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
