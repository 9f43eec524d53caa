/**
 * `telenode modem-sim`: a GSM modem simulator speaking enough of 3GPP TS
 * 27.007 / 27.005 (PDU mode) for the test suite and for trying configs:
 * identity and network queries, AT+CMGS with its `> ` prompt, status
 * reports (+CDSI indication, read with AT+CMGR), inbound messages on demand
 * (+CMTI, AT+CMGR / AT+CMGL / AT+CMGD), and error injection (+CMS ERROR,
 * silence, garbage, vendor noise). It talks over any byte stream: one end of
 * a socat pty pair for real serial I/O.
 */
import type { Duplex } from 'node:stream';
import { TimerSet } from '../shared/timer-set.js';
import { planSegments } from '../sms/encoding/index.js';
import { decodePdu, encodeDeliverPdu, encodeStatusReportPdu, type DecodedSubmit } from '../sms/connectors/modem/pdu/index.js';

export interface ModemSimulatorOptions {
  manufacturer?: string;
  model?: string;
  imei?: string;
  imsi?: string;
  smsc?: string;
  /** CSQ rssi 0..31 (99 unknown). */
  signal?: number;
  /** CREG stat: 1 home, 5 roaming, 0/2/3 not registered. */
  registration?: number;
  /** Delay before a status report is stored and indicated. */
  reportDelayMs?: number;
  /** TP-ST of status reports (0 delivered). */
  reportStatus?: number;
}

export interface SentMessage {
  pdu: DecodedSubmit;
  messageReference: number;
  at: number;
}

interface Stored {
  kind: 'deliver' | 'report';
  pdu: string;
  read: boolean;
}

export class ModemSimulator {
  readonly sent: SentMessage[] = [];
  private readonly storage = new Map<number, Stored>();
  private input = '';
  private echo = true;
  private pduPromptLength: number | null = null;
  private nextMr = 0;
  private nextIndex = 1;
  private readonly timers = new TimerSet();
  readonly options: Required<ModemSimulatorOptions>;
  /** Error injection: the next AT+CMGS answers +CMS ERROR <n>. */
  failNextSend: number | null = null;
  /** Stop answering anything (a hung modem). */
  silent = false;

  constructor(
    private readonly port: Duplex,
    options: ModemSimulatorOptions = {},
  ) {
    this.options = {
      manufacturer: 'telenode',
      model: 'modem-sim',
      imei: '356938035643809',
      imsi: '216301234567890',
      smsc: '+36209300099',
      signal: 21,
      registration: 1,
      reportDelayMs: 50,
      reportStatus: 0,
      ...options,
    };
    port.on('data', (chunk: Buffer) => this.onData(chunk.toString('latin1')));
  }

  /** Deliver an inbound SMS: stored in SM, one +CMTI per part. */
  deliverInbound(from: string, text: string): number[] {
    const plan = planSegments(text, { concat: 'udh8' });
    const reference = Math.floor(Math.random() * 256);
    return plan.parts.map((part) => {
      const pdu = encodeDeliverPdu({
        smsc: this.options.smsc,
        sender: from,
        dataCoding: plan.dataCoding,
        payload: part.payload,
        concat: plan.parts.length > 1 ? { reference, total: plan.parts.length, seq: part.seq, sixteenBit: false } : null,
        sentAt: Date.now(),
        zoneMinutes: 60,
      });
      const index = this.store({ kind: 'deliver', pdu, read: false });
      this.write(`\r\n+CMTI: "SM",${index}\r\n`);
      return index;
    });
  }

  /** Vendor noise between replies (Huawei ^RSSI and the like). */
  noise(line = '^RSSI: 17'): void {
    this.write(`\r\n${line}\r\n`);
  }

  /** Bytes that mean nothing. */
  garbage(): void {
    this.write('\x00\xff\xfe garbage \x07\r\n');
  }

  stop(): void {
    this.timers.clear();
  }

  private store(item: Stored): number {
    const index = this.nextIndex++;
    this.storage.set(index, item);
    return index;
  }

  private write(text: string): void {
    if (!this.silent) this.port.write(Buffer.from(text, 'latin1'));
  }

  private onData(text: string): void {
    this.input += text;
    for (;;) {
      if (this.pduPromptLength !== null) {
        const end = this.input.search(/[\x1a\x1b]/);
        if (end < 0) return;
        const body = this.input.slice(0, end).trim();
        const aborted = this.input[end] === '\x1b';
        this.input = this.input.slice(end + 1);
        const length = this.pduPromptLength;
        this.pduPromptLength = null;
        if (!aborted) this.onPdu(body, length);
        continue;
      }
      const end = this.input.indexOf('\r');
      if (end < 0) return;
      // Control characters outside the SMS prompt (an ESC that aborts nothing, stray LF) are ignored, as modems do.
      const line = this.input.slice(0, end).replace(/[\x00-\x1f]/g, '').trim();
      this.input = this.input.slice(end + 1);
      if (line.length > 0) this.onCommand(line);
    }
  }

  private onCommand(raw: string): void {
    if (this.silent) return;
    if (this.echo) this.write(`${raw}\r`);
    const command = raw.toUpperCase();
    const ok = (...lines: string[]) => this.write(lines.map((l) => `\r\n${l}\r\n`).join('') + '\r\nOK\r\n');
    const cms = (code: number) => this.write(`\r\n+CMS ERROR: ${code}\r\n`);
    const o = this.options;
    if (command === 'AT' || command === 'AT+CMEE=1' || command.startsWith('AT+CNMI=') || command === 'AT+CMGF=0') return ok();
    if (command === 'ATE0') {
      this.echo = false;
      return ok();
    }
    if (command === 'AT+CPIN?') return ok('+CPIN: READY');
    if (/^AT\+C(E|G)?REG\?$/.test(command)) return ok(`${command.slice(2, -1)}: 0,${o.registration}`);
    if (command === 'AT+CSQ') return ok(`+CSQ: ${o.signal},99`);
    if (command === 'AT+CGMI') return ok(o.manufacturer);
    if (command === 'AT+CGMM') return ok(o.model);
    if (command === 'AT+CGSN') return ok(o.imei);
    if (command === 'AT+CIMI') return ok(o.imsi);
    if (command === 'AT+CSCA?') return ok(`+CSCA: "${o.smsc}",145`);
    if (command.startsWith('AT+CPMS')) return ok(`+CPMS: ${this.storage.size},30,${this.storage.size},30,${this.storage.size},30`);
    const cmgs = /^AT\+CMGS=(\d+)$/.exec(command);
    if (cmgs) {
      this.pduPromptLength = Number(cmgs[1]);
      this.write('\r\n> ');
      return;
    }
    const cmgr = /^AT\+CMGR=(\d+)$/.exec(command);
    if (cmgr) {
      const item = this.storage.get(Number(cmgr[1]));
      if (!item) return cms(321); // invalid memory index
      const stat = item.read ? 1 : 0;
      item.read = true;
      return ok(`+CMGR: ${stat},,${item.pdu.length / 2 - (parseInt(item.pdu.slice(0, 2), 16) + 1)}`, item.pdu);
    }
    const cmgd = /^AT\+CMGD=(\d+)/.exec(command);
    if (cmgd) {
      this.storage.delete(Number(cmgd[1]));
      return ok();
    }
    if (/^AT\+CMGL=4$/.test(command)) {
      const lines: string[] = [];
      for (const [index, item] of this.storage) lines.push(`+CMGL: ${index},${item.read ? 1 : 0},,${item.pdu.length / 2}`, item.pdu);
      return ok(...lines);
    }
    this.write('\r\nERROR\r\n');
  }

  private onPdu(hex: string, announcedLength: number): void {
    if (this.failNextSend !== null) {
      const code = this.failNextSend;
      this.failNextSend = null;
      return this.write(`\r\n+CMS ERROR: ${code}\r\n`);
    }
    let pdu;
    try {
      pdu = decodePdu(hex);
    } catch {
      return this.write('\r\n+CMS ERROR: 304\r\n'); // invalid PDU mode parameter
    }
    const smscOctets = parseInt(hex.slice(0, 2), 16) + 1;
    if (pdu.type !== 'submit' || hex.length / 2 - smscOctets !== announcedLength) return this.write('\r\n+CMS ERROR: 304\r\n');
    const messageReference = this.nextMr;
    this.nextMr = (this.nextMr + 1) % 256;
    this.sent.push({ pdu, messageReference, at: Date.now() });
    this.write(`\r\n+CMGS: ${messageReference}\r\n\r\nOK\r\n`);
    if (pdu.statusReport) {
      this.timers.after(this.options.reportDelayMs, () => {
        const report = encodeStatusReportPdu({ smsc: this.options.smsc, messageReference, recipient: pdu.recipient.number, sentAt: Date.now(), dischargedAt: Date.now(), status: this.options.reportStatus });
        const index = this.store({ kind: 'report', pdu: report, read: false });
        this.write(`\r\n+CDSI: "SR",${index}\r\n`);
      });
    }
  }
}
