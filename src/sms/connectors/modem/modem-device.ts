/**
 * One GSM modem on one serial port: opens the port, runs the init sequence
 * (modem-init.ts), sends parts with AT+CMGS (PDU mode, or text mode where
 * the modem has no PDU mode) at its own rate, hands what it receives to its
 * inbox, polls signal and registration, and re-initialises when the modem
 * stops answering, restarts (RDY) or the port goes away — with back-off.
 *
 *   closed ──► opening ──► initialising ──► ready
 *                 ▲              │            │
 *                 └──── waiting ◄┴────────────┘   (error, timeout, port gone, reboot)
 *
 * A ready modem takes messages only while it is registered and (with
 * minSignal) has signal; the pool sends elsewhere meanwhile.
 */
import type { SerialPort } from 'serialport';
import type { Logger } from '../../../shared/log.js';
import { AppError, ErrorCode, isAppError } from '../../../shared/errors.js';
import { backoffDelay } from '../../../shared/backoff.js';
import type { ConnectorBindState, ConnectorSink, SubmitPart } from '../connector.js';
import { AtChannel, mayHaveBeenSent, type UnsolicitedCode } from './at-channel.js';
import type { ModemDeviceConfig } from './config.js';
import { initialiseModem, readOperator, readRegistration, readSignal, waitForRegistration, type ModemSession } from './modem-init.js';
import { ModemInbox, modemCarrierId } from './modem-inbox.js';
import { encodeSubmitPdu } from './pdu/index.js';
import { SendPacer } from './send-pacer.js';
import { closeSerialPort, openSerialPort } from './serial.js';
import { textModeRefusal, textModeSubmit } from './text-mode.js';

export type ModemState = 'closed' | 'opening' | 'initialising' | 'ready' | 'waiting' | 'sim-locked';

/** What the inbox takes: indications of stored messages and reports, and routed ones (+CMTI, +CDSI, +CMT, +CDS). */
const MESSAGE_URC = /^\+(CMTI|CDSI|CMT|CDS):/;
/** Message URCs kept from one initialisation at most (a few are normal: what arrived right after AT+CNMI). */
const MAX_EARLY_URCS = 32;

export interface ModemDeviceDeps {
  connectorId: string;
  sink: ConnectorSink;
  log: Logger;
  /** Called whenever the device may have started or stopped taking messages. */
  onAvailability: () => void;
  /** A part went out (true) or failed (false, with whether it will be retried). */
  onSendResult?: (device: ModemDevice, ok: boolean, retryable: boolean) => void;
}

export class ModemDevice {
  readonly id: string;
  private state: ModemState = 'closed';
  /** Why the modem stopped for good (a refused PIN), shown in /health. */
  private lastSimError: string | null = null;
  private port: SerialPort | null = null;
  private at: AtChannel | null = null;
  private inbox: ModemInbox | null = null;
  /** Message URCs that came during initialisation, before the inbox existed (see onUrc). */
  private earlyUrcs: UnsolicitedCode[] = [];
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private stopping = true;
  private nextReference = 0;
  private lastCsmp = '';
  private sendTurn: Promise<void> = Promise.resolve();
  private polling = false;
  private readonly pacer: SendPacer;
  session: ModemSession | null = null;
  /** Last polled radio state, shown in /health and /metrics. */
  readonly radio = { signal: -1, registration: -1, operator: '' };
  /** Parts handed to this modem and not yet answered. */
  backlog = 0;

  constructor(
    readonly config: ModemDeviceConfig,
    private readonly deps: ModemDeviceDeps,
  ) {
    this.id = config.id;
    this.pacer = new SendPacer(config.maxPerMinute);
  }

  get currentState(): ModemState {
    return this.state;
  }

  start(): void {
    this.stopping = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopTimers();
    this.setState('closed');
    this.at?.close(new AppError(ErrorCode.CONNECTOR_STOPPED, 'connector stopped', { retryable: true }));
    this.at = null;
    await this.closePort();
  }

  /** Ready, registered and (with minSignal) with enough signal: may take a message now. */
  isAvailable(): boolean {
    if (this.state !== 'ready') return false;
    if (this.radio.registration !== 1 && this.radio.registration !== 5) return false;
    const min = this.config.minSignal;
    return min === 0 || (this.radio.signal !== 99 && this.radio.signal >= min);
  }

  /** Whether this modem can send the part at all (text-mode modems cannot send every part). */
  canCarry(part: SubmitPart): boolean {
    return this.session?.messageMode !== 'text' || textModeRefusal(part) === null;
  }

  /** Milliseconds before a part handed over now would reach the modem: queue and rate limit. */
  load(): number {
    return this.backlog * 1000 + this.pacer.waitMs();
  }

  bindState(): ConnectorBindState {
    return {
      name: this.id,
      role: 'modem',
      state: this.state,
      windowInUse: Math.min(1, this.backlog),
      windowSize: 1,
      signal: this.radio.signal,
      registration: this.radio.registration,
      operator: this.radio.operator,
      queued: this.backlog,
      profile: this.session?.profile.name ?? '',
      messageMode: this.session?.messageMode ?? '',
      ...(this.lastSimError ? { lastError: this.lastSimError } : {}),
    };
  }

  async send(part: SubmitPart): Promise<string> {
    this.backlog++;
    // One part at a time: a part's AT+CMGF / AT+CSMP must come right before its own AT+CMGS.
    const turn = this.sendTurn;
    let done!: () => void;
    this.sendTurn = new Promise<void>((resolve) => (done = resolve));
    try {
      await turn;
      // Reports and inbound messages the modem announced before this send go first: each stored one takes
      // a few commands, and behind a backlog of sends they would pile up until the modem's storage is full.
      // Only what was announced by now: periodic sweeps and later reports must not hold sends back.
      await this.inbox?.announcedHandled();
      await this.pacer.take();
      const at = this.at;
      const session = this.session;
      if (!at || !session || this.state !== 'ready') throw new AppError(ErrorCode.CONNECTOR_DOWN, `modem ${this.id} is not ready`, { retryable: true });
      const reference = session.messageMode === 'pdu' ? await this.sendPdu(at, session, part) : await this.sendText(at, part);
      this.deps.onSendResult?.(this, true, false);
      return modemCarrierId(this.id, reference, part.recipient);
    } catch (err) {
      let error = isAppError(err) ? err : new AppError(ErrorCode.MODEM_ERROR, String(err), { retryable: true, cause: err });
      this.deps.onSendResult?.(this, false, error.retryable);
      if (mayHaveBeenSent(error)) {
        // The PDU went out and no reference came back: the retry may deliver it twice. The outbox marks the
        // message a possible duplicate (the client sees it in its callback), so say it in the error.
        this.deps.log.warn(
          { messageId: part.messageId, partNo: part.partNo, err: error.toJSON() },
          'no reference after the message went to the modem; it may have been sent and will be retried (possible duplicate)',
        );
        error = new AppError(error.code, error.message, { retryable: true, details: { ...error.details, possiblySent: true }, cause: error });
      }
      throw error;
    } finally {
      this.backlog--;
      done();
    }
  }

  private async sendPdu(at: AtChannel, session: ModemSession, part: SubmitPart): Promise<number> {
    const pdu = encodeSubmitPdu({
      recipient: part.recipient,
      dataCoding: part.dataCoding,
      payload: part.payload,
      concat: part.concat ? { ...part.concat, reference: part.concat.reference & 0xff, sixteenBit: false } : null,
      messageReference: this.nextReference,
      statusReport: part.wantReceipt,
      validityMinutes: part.validUntil === null ? null : Math.max(5, Math.round((part.validUntil - Date.now()) / 60_000)),
    });
    this.nextReference = (this.nextReference + 1) % 256;
    if (session.profile.reassertMessageFormat) await at.send('AT+CMGF=0');
    const reply = await at.send(`AT+CMGS=${pdu.tpduLength}`, { body: pdu.hex, timeoutMs: this.config.sendTimeoutMs });
    return messageReferenceOf(reply.lines);
  }

  private async sendText(at: AtChannel, part: SubmitPart): Promise<number> {
    const submit = textModeSubmit(part);
    if (submit.csmp !== this.lastCsmp) {
      await at.send(submit.csmp);
      this.lastCsmp = submit.csmp;
    }
    const reply = await at.send(submit.command, { body: submit.body, timeoutMs: this.config.sendTimeoutMs });
    return messageReferenceOf(reply.lines);
  }

  private setState(state: ModemState): void {
    if (this.state === state) return;
    this.state = state;
    this.deps.onAvailability();
  }

  private async connect(): Promise<void> {
    if (this.stopping) return;
    this.setState('opening');
    try {
      const port = await openSerialPort(this.config.port, this.config.baudRate, { exclusive: true });
      if (this.stopping) {
        await closeSerialPort(port);
        return;
      }
      // Ptys and some USB bridges refuse modem-control lines; that is not fatal.
      port.on('error', (err: Error) => this.deps.log.warn({ err: err.message }, 'serial port error'));
      port.on('close', () => this.lost('serial port closed'));
      this.port = port;
      const at = new AtChannel(port, { defaultTimeoutMs: this.config.commandTimeoutMs });
      at.on('urc', (urc: UnsolicitedCode) => this.onUrc(urc));
      at.on('late-reply', (late: { command: string; line: string }) =>
        this.deps.log.warn(late, 'a reply came after its command had timed out; it was not taken as the answer to the next command'),
      );
      at.on('closed', (err: AppError) => this.lost(err.message));
      this.at = at;
      this.setState('initialising');
      this.earlyUrcs = [];
      const session = await initialiseModem(at, this.config, this.deps.log);
      if (this.at !== at) return; // lost meanwhile
      this.session = session;
      // Listening (AT+CNMI armed) before the registration wait: read what arrived while the port was
      // gone now, and take what arrives while the modem still searches for the network.
      const inbox = new ModemInbox(at, session, {
        connectorId: this.deps.connectorId,
        modemId: this.id,
        ownNumber: this.config.ownNumber,
        sink: this.deps.sink,
        log: this.deps.log,
      });
      this.inbox = inbox;
      for (const urc of this.earlyUrcs.splice(0)) inbox.onUrc(urc);
      void inbox.sweep();
      this.lastCsmp = '';
      await waitForRegistration(at, this.config.registrationTimeoutMs);
      if (this.at !== at) return;
      await this.pollHealth(at);
      this.attempt = 0;
      this.setState('ready');
      this.deps.log.info(
        { modem: this.id, port: this.config.port, profile: session.profile.name, messageMode: session.messageMode, cnmi: session.cnmi, ...session.identity },
        'modem ready',
      );
      this.startTimers();
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.MODEM_SIM_LOCKED) {
        this.simLocked(err);
        return;
      }
      this.lost(`init failed: ${(err as Error).message}`);
    }
  }

  /** The SIM needs an operator: close the port and stay down; trying again could lock it behind its PUK. */
  private simLocked(err: AppError): void {
    this.stopTimers();
    this.lastSimError = err.message;
    this.setState('sim-locked');
    const at = this.at;
    this.at = null;
    at?.close(new AppError(ErrorCode.MODEM_CLOSED, err.message));
    void this.closePort();
    this.deps.log.error({ modem: this.id, port: this.config.port, reason: err.message, ...err.details }, 'modem stopped: its SIM needs an operator');
  }

  private startTimers(): void {
    this.stopTimers();
    this.healthTimer = setInterval(() => void this.checkHealth(), this.config.healthSeconds * 1000);
    this.healthTimer.unref();
    this.sweepTimer = setInterval(() => void this.inbox?.sweep(), this.config.sweepSeconds * 1000);
    this.sweepTimer.unref();
  }

  private stopTimers(): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.healthTimer = null;
    this.sweepTimer = null;
  }

  private async pollHealth(at: AtChannel): Promise<void> {
    this.radio.signal = await readSignal(at);
    this.radio.registration = (await readRegistration(at)).stat;
    this.radio.operator = await readOperator(at);
  }

  /** Poll signal and registration: a modem without network stops taking messages; one that does not answer is re-initialised. */
  private async checkHealth(): Promise<void> {
    const at = this.at;
    // A poll stuck behind a long AT+CMGS must not have the next ones pile up behind it.
    if (!at || this.state !== 'ready' || this.polling) return;
    const before = this.isAvailable();
    this.polling = true;
    try {
      await this.pollHealth(at);
    } catch (err) {
      if (isAppError(err) && (err.code === ErrorCode.MODEM_TIMEOUT || err.code === ErrorCode.MODEM_CLOSED)) this.lost('modem stopped answering');
      return;
    } finally {
      this.polling = false;
    }
    if (before !== this.isAvailable()) {
      this.deps.log.warn(
        { modem: this.id, ...this.radio },
        this.isAvailable() ? 'modem back on the network' : 'modem lost network or signal; the others take its messages',
      );
      this.deps.onAvailability();
    }
  }

  private onUrc(urc: UnsolicitedCode): void {
    if (this.session?.profile.rebootUrcs.some((p) => urc.line.startsWith(p))) {
      this.lost(`modem restarted (${urc.line})`);
      return;
    }
    if (this.inbox) this.inbox.onUrc(urc);
    // AT+CNMI is armed a few commands before initialisation ends (AT+CIMI, AT+CSCA?): a report or message the
    // modem routes in between must reach the inbox too. A routed +CDS nobody acknowledged (AT+CNMA) is refused
    // to the network and routing stops (3GPP TS 27.005 §3.4.4): the report was lost.
    // Bounded: a modem that floods the line while initialising keeps only the first ones (stored messages are read
    // by the sweep that follows anyway; an unacknowledged routed one the network sends again).
    else if (this.state === 'initialising' && MESSAGE_URC.test(urc.line) && this.earlyUrcs.length < MAX_EARLY_URCS) this.earlyUrcs.push(urc);
  }

  private lost(reason: string): void {
    // sim-locked is final until an operator acts: the port closing behind it must not start a reconnect.
    if (this.stopping || this.state === 'waiting' || this.state === 'sim-locked') return;
    this.stopTimers();
    this.setState('waiting');
    const at = this.at;
    this.at = null;
    this.inbox = null;
    this.session = null;
    at?.close(new AppError(ErrorCode.MODEM_CLOSED, reason, { retryable: true }));
    void this.closePort();
    this.attempt++;
    const delay = backoffDelay({ ...this.config.reconnect, jitter: 0.2 }, this.attempt);
    this.deps.log.warn({ modem: this.id, reason, retryInMs: Math.round(delay) }, 'modem not ready');
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private async closePort(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (port) await closeSerialPort(port);
  }
}

function messageReferenceOf(lines: readonly string[]): number {
  const match = lines.map((l) => /^\+CMGS:\s*(\d+)/.exec(l)).find(Boolean);
  // OK means the network took it (27.005 §3.5.1); without its reference the retry may send it twice.
  if (!match) throw new AppError(ErrorCode.MODEM_ERROR, 'AT+CMGS answered OK without +CMGS: <mr>', { retryable: true, details: { possiblySent: true } });
  return Number(match[1]);
}
