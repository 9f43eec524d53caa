/**
 * A GSM modem on a serial port as a connector: opens the port, runs the
 * init sequence, sends parts with AT+CMGS in PDU mode, turns status reports
 * into receipts (matched by TP-MR and recipient) and stored inbound messages
 * into fragments — deleting a message from the SIM only after the core has
 * stored it. A failed init or a lost port is retried with back-off.
 *
 *   closed ──► opening ──► initialising ──► ready
 *                 ▲              │            │
 *                 └──── waiting ◄┴────────────┘   (error, timeout, port gone)
 */
import type { SerialPort } from 'serialport';
import type { Logger } from '../../../shared/log.js';
import { AppError, ErrorCode, isAppError } from '../../../shared/errors.js';
import { backoffDelay } from '../../../shared/backoff.js';
import { MessageStatus } from '../../message.js';
import type { Connector, ConnectorSink, ConnectorStatus, SubmitPart } from '../connector.js';
import { AtChannel, type UnsolicitedCode } from './at-channel.js';
import type { ModemConnectorConfig } from './config.js';
import { closeSerialPort, openSerialPort } from './serial.js';
import { decodePdu, encodeSubmitPdu, isSevenBit, type DecodedStatusReport } from './pdu/index.js';

type ModemState = 'closed' | 'opening' | 'initialising' | 'ready' | 'waiting';

/** TP-MR and recipient digits: how a status report names the part it is about (3GPP TS 23.040 §9.2.3.6). */
export function modemCarrierId(messageReference: number, recipient: string): string {
  return `${messageReference}@${recipient.replace(/\D/g, '')}`;
}

export class ModemConnector implements Connector {
  readonly kind = 'modem' as const;
  readonly concatMode = 'udh8' as const;
  readonly id: string;
  private state: ModemState = 'closed';
  private port: SerialPort | null = null;
  private at: AtChannel | null = null;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private nextReference = 0;
  private healthTimer: NodeJS.Timeout | null = null;
  identity: Record<string, string> = {};
  /** Last polled radio state, shown in /health. */
  radio = { signal: -1, registration: -1 };

  constructor(
    private readonly config: ModemConnectorConfig,
    private readonly deps: { sink: ConnectorSink; log: Logger },
  ) {
    this.id = config.id;
  }

  async start(): Promise<void> {
    this.stopping = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.setState('closed');
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.at?.close(new AppError(ErrorCode.CONNECTOR_STOPPED, 'connector stopped', { retryable: true }));
    await this.closePort();
  }

  isUp(): boolean {
    return this.state === 'ready';
  }

  status(): ConnectorStatus {
    return {
      id: this.id,
      kind: this.kind,
      up: this.isUp(),
      binds: [{ name: this.config.port, role: 'modem', state: this.state, windowInUse: 0, windowSize: 1, signal: this.radio.signal, registration: this.radio.registration }],
      queued: 0,
    };
  }

  async submit(part: SubmitPart): Promise<string> {
    const at = this.at;
    if (!at || this.state !== 'ready') throw new AppError(ErrorCode.CONNECTOR_DOWN, `modem ${this.id} is not ready`, { retryable: true });
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
    const reply = await at.send(`AT+CMGS=${pdu.tpduLength}`, { body: pdu.hex, timeoutMs: this.config.sendTimeoutMs });
    const match = reply.lines.map((l) => /^\+CMGS:\s*(\d+)/.exec(l)).find(Boolean);
    if (!match) throw new AppError(ErrorCode.MODEM_ERROR, 'AT+CMGS answered OK without +CMGS: <mr>', { retryable: true });
    return modemCarrierId(Number(match[1]), part.recipient);
  }

  private setState(state: ModemState): void {
    if (this.state === state) return;
    const wasUp = this.state === 'ready';
    this.state = state;
    const up = state === 'ready';
    if (wasUp !== up) this.deps.sink.connectorStateChanged(this.id, up);
  }

  private async connect(): Promise<void> {
    if (this.stopping) return;
    this.setState('opening');
    try {
      const port = await openSerialPort(this.config.port, this.config.baudRate);
      // Ptys and some USB bridges refuse modem-control lines; that is not fatal.
      port.on('error', (err: Error) => this.deps.log.warn({ err }, 'serial port error'));
      port.on('close', () => this.lost('serial port closed'));
      this.port = port;
      const at = new AtChannel(port, this.config.commandTimeoutMs);
      at.on('urc', (urc: UnsolicitedCode) => void this.onUrc(urc));
      this.at = at;
      this.setState('initialising');
      await this.initialise(at);
      this.attempt = 0;
      this.setState('ready');
      this.deps.log.info({ port: this.config.port, ...this.identity }, 'modem ready');
      void this.sweepStored();
      this.startHealth();
    } catch (err) {
      this.lost(`init failed: ${(err as Error).message}`);
    }
  }

  /** 27.007/27.005 init: clear a half-sent SMS, no echo, verbose errors, SIM, network, PDU mode, indications. */
  private async initialise(at: AtChannel): Promise<void> {
    at.abortPrompt();
    await at.send('AT');
    await at.send('ATE0');
    await at.send('AT+CMEE=1');
    const pin = (await at.send('AT+CPIN?')).lines.join(' ');
    if (/SIM PIN/.test(pin)) {
      if (!this.config.pin) throw new AppError(ErrorCode.MODEM_ERROR, 'the SIM asks for a PIN and none is configured');
      await at.send(`AT+CPIN="${this.config.pin}"`);
    }
    const deadline = Date.now() + this.config.registrationTimeoutMs;
    for (;;) {
      const creg = (await at.send('AT+CREG?')).lines.join(' ');
      const stat = Number(/\+CREG:\s*\d+,(\d+)/.exec(creg)?.[1] ?? -1);
      if (stat === 1 || stat === 5) break;
      if (Date.now() > deadline) throw new AppError(ErrorCode.MODEM_ERROR, `not registered on a network (CREG stat ${stat})`, { retryable: true });
      await new Promise((r) => setTimeout(r, 1000));
    }
    await at.send('AT+CMGF=0');
    await at.send(`AT+CNMI=${this.config.cnmi}`);
    for (const [key, command] of [['manufacturer', 'AT+CGMI'], ['model', 'AT+CGMM'], ['imei', 'AT+CGSN'], ['signal', 'AT+CSQ'], ['smsc', 'AT+CSCA?']] as const) {
      this.identity[key] = (await at.send(command).catch(() => ({ lines: [''] }))).lines.join(' ');
    }
  }

  /**
   * Poll signal and registration. A modem that does not answer (timeout) is
   * re-initialised; one that lost its network goes down until it is back,
   * so routing fails over to another connector meanwhile.
   */
  private startHealth(): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = setInterval(() => void this.checkHealth(), this.config.healthSeconds * 1000);
    this.healthTimer.unref();
  }

  private async checkHealth(): Promise<void> {
    const at = this.at;
    if (!at || (this.state !== 'ready' && this.state !== 'initialising')) return;
    try {
      const csq = (await at.send('AT+CSQ')).lines.join(' ');
      this.radio.signal = Number(/\+CSQ:\s*(\d+)/.exec(csq)?.[1] ?? -1);
      const creg = (await at.send('AT+CREG?')).lines.join(' ');
      this.radio.registration = Number(/\+CREG:\s*\d+,(\d+)/.exec(creg)?.[1] ?? -1);
      const registered = this.radio.registration === 1 || this.radio.registration === 5;
      if (!registered && this.state === 'ready') this.lost(`lost network registration (CREG stat ${this.radio.registration})`);
    } catch (err) {
      if (isAppError(err) && err.code === ErrorCode.MODEM_TIMEOUT) this.lost('modem stopped answering');
    }
  }

  private lost(reason: string): void {
    if (this.stopping || this.state === 'waiting') return;
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = null;
    this.setState('waiting');
    this.at?.close(new AppError(ErrorCode.MODEM_CLOSED, reason, { retryable: true }));
    this.at = null;
    void this.closePort();
    this.attempt++;
    const delay = backoffDelay({ ...this.config.reconnect, jitter: 0.2 }, this.attempt);
    this.deps.log.warn({ reason, retryInMs: Math.round(delay) }, 'modem not ready');
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private async closePort(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (port) await closeSerialPort(port);
  }

  private async onUrc(urc: UnsolicitedCode): Promise<void> {
    const stored = /^\+(CMTI|CDSI):\s*"?\w*"?,\s*(\d+)/.exec(urc.line);
    if (stored) return this.readStored(Number(stored[2]));
    if (urc.line.startsWith('+CDS:') && urc.data) return this.onReport(decodePdu(urc.data) as DecodedStatusReport);
  }

  /** Read a stored message or report, hand it to the core, delete it only once stored. */
  private async readStored(index: number): Promise<void> {
    const at = this.at;
    if (!at) return;
    try {
      const reply = await at.send(`AT+CMGR=${index}`);
      const hex = reply.lines.find((l) => /^[0-9A-F]+$/i.test(l));
      if (!hex) return;
      const pdu = decodePdu(hex);
      if (pdu.type === 'status-report') await this.onReport(pdu);
      else if (pdu.type === 'deliver') {
        await this.deps.sink.inbound({
          connectorId: this.id,
          sender: pdu.sender.number,
          recipient: this.config.ownNumber,
          dataCoding: isSevenBit(pdu.dataCoding) ? 0 : pdu.dataCoding,
          payload: pdu.payload,
          concat: pdu.udh?.concat ? { reference: pdu.udh.concat.reference, total: pdu.udh.concat.total, seq: pdu.udh.concat.seq } : null,
          receivedAt: Date.now(),
        });
      }
      await at.send(`AT+CMGD=${index}`);
    } catch (err) {
      this.deps.log.warn({ err: isAppError(err) ? err.toJSON() : err, index }, 'could not read a stored message; the sweep will try again');
    }
  }

  private async onReport(report: DecodedStatusReport): Promise<void> {
    const status = report.outcome === 'delivered' ? MessageStatus.Delivered : report.outcome === 'failed' ? MessageStatus.Failed : MessageStatus.Buffered;
    await this.deps.sink.receipt({
      connectorId: this.id,
      carrierId: modemCarrierId(report.messageReference, report.recipient.number),
      status,
      stat: report.outcome === 'delivered' ? 'DELIVRD' : report.outcome === 'failed' ? 'UNDELIV' : 'ENROUTE',
      err: report.status.toString(16).padStart(2, '0'),
      submitDate: report.sentAt.utcMs,
      doneDate: report.dischargedAt.utcMs,
      text: null,
    });
  }

  /** Messages the modem stored without an indication we saw (27.005 AT+CMGL=4: all). */
  private async sweepStored(): Promise<void> {
    const at = this.at;
    if (!at) return;
    const reply = await at.send('AT+CMGL=4').catch(() => null);
    if (!reply) return;
    for (const line of reply.lines) {
      const entry = /^\+CMGL:\s*(\d+)/.exec(line);
      if (entry) await this.readStored(Number(entry[1]));
    }
  }
}
