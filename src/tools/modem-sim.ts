/**
 * `telenode modem-sim`: a GSM modem simulator speaking enough of 3GPP TS
 * 27.007 / 27.005 for the test suite and for trying configs: identity and
 * network queries; PDU mode, and text mode (or a text-only device); AT+CMGS
 * with its `> ` prompt; message memories (SM, SR, ME) chosen with AT+CPMS;
 * new-message indications as AT+CNMI asks — stored and indicated
 * (+CMTI/+CDSI) or routed (+CMT/+CDS), with AT+CSMS=1 requiring AT+CNMA and,
 * like a real ME, switching routing off and letting the network retry when
 * the acknowledgement does not come; vendor quirks (SIMCom, Quectel, Huawei);
 * and fault injection (+CMS ERROR, silence, garbage, vendor noise, slow or
 * late answers, a port that hangs up mid-send, a reboot). It talks over any
 * byte stream: one end of a socat pty pair for real serial I/O.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { TimerSet } from '../shared/timer-set.js';
import { decodeShortMessage, encodeGsm7, planSegments } from '../sms/encoding/index.js';
import { decodePdu, encodeDeliverPdu, encodeStatusReportPdu, type DecodedSubmit } from '../sms/connectors/modem/pdu/index.js';
import { formatTextTimestamp, splitFields } from '../sms/connectors/modem/text-mode.js';

export type SimVendor = 'generic' | 'simcom' | 'quectel' | 'huawei';

/** What the simulated network saw; shared by simulators that replace each other on a re-opened port. */
export interface SimNetwork {
  sent: SentMessage[];
  nextMr: number;
}

export interface ModemSimulatorOptions {
  /** The SIM asks for this PIN (27.007 §8.3) until it is entered; wrong ones count down `pinTries`, then PUK. */
  pin?: string;
  /** PIN tries left (default 3), reported by AT+CPINR (27.007 §8.65). */
  pinTries?: number;
  /** Vendor quirks: SIMCom (reports in SR unreadable by CMGR), Quectel (reports announced in the wrong memory, RDY), Huawei (^RSSI noise until AT^CURC=0, three-memory CPMS, indices from 0). */
  vendor?: SimVendor;
  /** Names this modem in `sent` (pool tests). */
  name?: string;
  manufacturer?: string;
  model?: string;
  imei?: string;
  imsi?: string;
  smsc?: string;
  operator?: string;
  /** CSQ rssi 0..31 (99 unknown). */
  signal?: number;
  /** CREG stat: 1 home, 5 roaming, 0/2/3 not registered. */
  registration?: number;
  /** Delay before a status report is stored or routed. */
  reportDelayMs?: number;
  /** TP-ST of status reports (0 delivered). */
  reportStatus?: number;
  /** false: a device without PDU mode (AT+CMGF=? says (1)). */
  pduMode?: boolean;
  /** Delay of every answer (a slow modem). */
  replyDelayMs?: number;
  /** false: no phase 2+ (AT+CSMS=1 refused), so routed messages cannot be acknowledged. */
  phase2Plus?: boolean;
  /** How long a routed message waits for AT+CNMA (with AT+CSMS=1). */
  cnmaTimeoutMs?: number;
  /** When the network tries a message again after it was not acknowledged. */
  redeliveryMs?: number;
  network?: SimNetwork;
}

export interface SentMessage {
  pdu: DecodedSubmit;
  /** The message text as the handset shows it (this part's). */
  text: string;
  messageReference: number;
  modem: string;
  at: number;
}

interface Stored {
  kind: 'deliver' | 'report';
  pdu: string;
  read: boolean;
}

type Memory = 'SM' | 'SR' | 'ME';
const MEMORIES: readonly Memory[] = ['SM', 'SR', 'ME'];
const CAPACITY = 30;

/** How a command is answered: OK with lines, +CMS ERROR <n>, or the vendor's plain error. */
interface Reply {
  ok: (...lines: string[]) => void;
  cms: (code: number) => void;
  error: () => void;
}

interface Routed {
  kind: 'deliver' | 'report';
  pdu: string;
}

export class ModemSimulator extends EventEmitter {
  readonly network: SimNetwork;
  private readonly memories = new Map<Memory, Map<number, Stored>>(MEMORIES.map((m) => [m, new Map()]));
  private mem: [Memory, Memory, Memory] = ['SM', 'SM', 'SM'];
  private input = '';
  private echo = true;
  private cmgf = 0;
  private csms = 0;
  private cnmi = { mt: 0, ds: 0 };
  private csmpFirstOctet = 17;
  private curcSilenced = false;
  private prompt: { length: number | null; recipient: string | null } | null = null;
  private awaitingAck: { item: Routed; timer: NodeJS.Timeout } | null = null;
  private readonly routedQueue: Routed[] = [];
  /** Reports the network holds while AT+CNMI asks for none (ds=0): its SMSC tries them again once routing is back. */
  private readonly heldReports: Routed[] = [];
  private readonly timers = new TimerSet();
  private noiseTimer: NodeJS.Timeout | null = null;
  readonly options: Required<Omit<ModemSimulatorOptions, 'network'>>;
  /** Every command line received, in order (tests check what the daemon asked). */
  readonly commands: string[] = [];
  /** Routed messages the daemon did not acknowledge in time (the network tried again later). */
  readonly unacknowledged: string[] = [];
  /** Error injection: the next AT+CMGS answers +CMS ERROR <n>. */
  failNextSend: number | null = null;
  /** Stop answering anything (a hung modem). */
  silent = false;
  /** Every PIN the modem was given (a wrong one must be given at most once). */
  readonly pinAttempts: string[] = [];
  pinTries: number;
  private simUnlocked = false;
  /** The next AT+CMGS gets garbage instead of its prompt. */
  garbageInsteadOfNextPrompt = false;
  /** The next AT+CMGS is answered this much later (after the daemon's timeout: a late final result). */
  delayNextSendAnswerMs = 0;
  /** The port hangs up during the next send: before the PDU (nothing sent) or after it (sent, unanswered). */
  hangUpNextSend: 'before-pdu' | 'after-pdu' | null = null;
  /** The next accepted message is answered OK without its +CMGS: <mr> (firmware that loses the line). */
  okWithoutReferenceNextSend = false;

  constructor(
    private readonly port: Duplex,
    options: ModemSimulatorOptions = {},
  ) {
    super();
    const { network, ...own } = options;
    const vendor = options.vendor ?? 'generic';
    const identity = VENDOR_IDENTITY[vendor];
    this.options = {
      pin: '',
      pinTries: 3,
      vendor,
      name: 'sim',
      manufacturer: identity.manufacturer,
      model: identity.model,
      imei: '356938035643809',
      imsi: '216301234567890',
      smsc: '+36209300099',
      operator: 'Telenode Mobile',
      signal: 21,
      registration: 1,
      reportDelayMs: 50,
      reportStatus: 0,
      pduMode: true,
      replyDelayMs: 0,
      phase2Plus: true,
      cnmaTimeoutMs: 2000,
      redeliveryMs: 300,
      ...withoutUndefined(own),
    };
    this.network = network ?? { sent: [], nextMr: 0 };
    if (!this.options.pduMode) this.cmgf = 1;
    port.on('data', (chunk: Buffer) => this.onData(chunk.toString('latin1')));
    // Writing to a pty whose other side has gone (the application stopped, socat with it) fails with EIO. A modem
    // does not mind its host hanging up; unheard, the error would end the simulator's process.
    port.on('error', () => this.portErrors++);
    if (vendor === 'huawei') this.startHuaweiNoise();
    this.pinTries = this.options.pinTries;
  }

  /** Errors the serial port reported (writes after the other side hung up); counted, never thrown. */
  portErrors = 0;

  get sent(): SentMessage[] {
    return this.network.sent;
  }

  /** Deliver an inbound SMS from the network: stored and indicated, or routed, as AT+CNMI says. */
  deliverInbound(from: string, text: string): void {
    const plan = planSegments(text, { concat: 'udh8' });
    const reference = Math.floor(Math.random() * 256);
    for (const part of plan.parts) {
      const pdu = encodeDeliverPdu({
        smsc: this.options.smsc,
        sender: from,
        dataCoding: plan.dataCoding,
        payload: part.payload,
        concat: plan.parts.length > 1 ? { reference, total: plan.parts.length, seq: part.seq, sixteenBit: false } : null,
        sentAt: Date.now(),
        zoneMinutes: 60,
      });
      this.fromNetwork({ kind: 'deliver', pdu });
    }
  }

  /** A status report from the network for a message this modem sent. */
  deliverReport(messageReference: number, recipient: string, status = this.options.reportStatus): void {
    const now = Date.now();
    this.fromNetwork({
      kind: 'report',
      pdu: encodeStatusReportPdu({ smsc: this.options.smsc, messageReference, recipient, sentAt: now, dischargedAt: now, status }),
    });
  }

  /** Messages and reports held in a memory (tests check what was deleted). */
  stored(memory: Memory = 'SM'): number {
    return this.memories.get(memory)!.size;
  }

  private pinState(): string {
    if (!this.options.pin || this.simUnlocked) return '+CPIN: READY';
    return this.pinTries > 0 ? '+CPIN: SIM PIN' : '+CPIN: SIM PUK';
  }

  /** Vendor noise between replies (Huawei ^RSSI and the like). */
  noise(line = '^RSSI: 17'): void {
    this.write(`\r\n${line}\r\n`);
  }

  /** Bytes that mean nothing. */
  garbage(): void {
    this.write('\x00\xff\xfe garbage \x07\r\n');
  }

  /** A restart: settings lost, echo back on, the vendor's boot URCs. */
  reboot(): void {
    this.echo = true;
    this.cmgf = this.options.pduMode ? 0 : 1;
    this.csms = 0;
    this.cnmi = { mt: 0, ds: 0 };
    this.curcSilenced = false;
    this.prompt = null;
    for (const line of VENDOR_IDENTITY[this.options.vendor].bootUrcs) this.write(`\r\n${line}\r\n`);
  }

  stop(): void {
    this.timers.clear();
    if (this.noiseTimer) clearInterval(this.noiseTimer);
    if (this.awaitingAck) clearTimeout(this.awaitingAck.timer);
  }

  private startHuaweiNoise(): void {
    this.noiseTimer = setInterval(() => {
      if (!this.curcSilenced) this.noise(`^RSSI: ${this.options.signal}`);
    }, 40);
    this.noiseTimer.unref();
  }

  private fromNetwork(item: Routed): void {
    const routed = item.kind === 'deliver' ? this.cnmi.mt === 2 || this.cnmi.mt === 3 : this.cnmi.ds === 1;
    if (routed && this.cmgf === 0) return this.route(item);
    if (item.kind === 'report' && this.cnmi.ds === 0) {
      this.heldReports.push(item); // no reports asked for: the network keeps them and tries again later
      return;
    }
    const quirks = VENDOR_IDENTITY[this.options.vendor];
    const memory: Memory = item.kind === 'report' ? 'SR' : this.mem[2];
    const index = this.store(memory, { kind: item.kind, pdu: item.pdu, read: false });
    if (item.kind === 'deliver' && this.cnmi.mt === 1) this.write(`\r\n+CMTI: "${memory}",${index}\r\n`);
    if (item.kind === 'report' && this.cnmi.ds === 2)
      this.write(`\r\n+CDSI: "${quirks.announceReportsAs ?? memory}",${quirks.announceReportsAs ? 0 : index}\r\n`);
  }

  private route(item: Routed): void {
    if (this.awaitingAck) {
      this.routedQueue.push(item); // 27.005: no new +CMT/+CDS before the last one is acknowledged
      return;
    }
    const tpduLength = item.pdu.length / 2 - (parseInt(item.pdu.slice(0, 2), 16) + 1);
    this.write(item.kind === 'deliver' ? `\r\n+CMT: ,${tpduLength}\r\n${item.pdu}\r\n` : `\r\n+CDS: ${tpduLength}\r\n${item.pdu}\r\n`);
    if (this.csms !== 1) return this.routeNext();
    const timer = setTimeout(() => {
      // Not acknowledged: the ME refuses it to the network and stops routing (27.005 +CNMA); the network retries later.
      this.awaitingAck = null;
      this.unacknowledged.push(item.pdu);
      this.cnmi = { mt: 0, ds: 0 };
      this.timers.after(this.options.redeliveryMs, () => this.fromNetwork(item));
      this.routeNext();
    }, this.options.cnmaTimeoutMs);
    this.awaitingAck = { item, timer };
  }

  private routeNext(): void {
    const next = this.routedQueue.shift();
    if (next) this.fromNetwork(next);
  }

  private store(memory: Memory, item: Stored): number {
    const slots = this.memories.get(memory)!;
    let index = VENDOR_IDENTITY[this.options.vendor].firstIndex;
    while (slots.has(index)) index++;
    slots.set(index, item);
    return index;
  }

  private write(text: string): void {
    if (this.silent) return;
    const out = () => {
      if (!this.silent) this.port.write(Buffer.from(text, 'latin1'));
    };
    if (this.options.replyDelayMs > 0) this.timers.after(this.options.replyDelayMs, out);
    else out();
  }

  private onData(text: string): void {
    this.input += text;
    for (;;) {
      if (this.prompt) {
        const end = this.input.search(/[\x1a\x1b]/);
        if (end < 0) return;
        const body = this.input.slice(0, end);
        const aborted = this.input[end] === '\x1b';
        this.input = this.input.slice(end + 1);
        const prompt = this.prompt;
        this.prompt = null;
        if (aborted) this.write('\r\nOK\r\n');
        else if (prompt.recipient !== null) this.onTextBody(body, prompt.recipient);
        else this.onPdu(body.trim(), prompt.length ?? 0);
        continue;
      }
      const end = this.input.indexOf('\r');
      if (end < 0) return;
      // Control characters outside the SMS prompt (an ESC that aborts nothing, stray LF) are ignored, as modems do.
      const line = this.input
        .slice(0, end)
        .replace(/[\x00-\x1f]/g, '')
        .trim();
      this.input = this.input.slice(end + 1);
      if (line.length > 0) this.onCommand(line);
    }
  }

  private onCommand(raw: string): void {
    if (this.silent) return;
    this.commands.push(raw);
    if (this.echo) this.write(`${raw}\r`);
    const command = raw.toUpperCase();
    const reply: Reply = {
      ok: (...lines: string[]) => this.write(lines.map((l) => `\r\n${l}\r\n`).join('') + '\r\nOK\r\n'),
      cms: (code: number) => this.write(`\r\n+CMS ERROR: ${code}\r\n`),
      error: () => this.write(this.options.vendor === 'huawei' ? '\r\nCOMMAND NOT SUPPORT\r\n' : '\r\nERROR\r\n'),
    };
    if (this.answerDevice(command, reply) || this.answerMessaging(command, raw, reply)) return;
    reply.error();
  }

  /** 27.007: the terminal, its SIM and the network. True when the command was one of these. */
  private answerDevice(command: string, { ok }: Reply): boolean {
    const o = this.options;
    if (command === 'AT' || command === 'AT+CMEE=1' || command === 'AT+CSDH=0' || command.startsWith('AT+CSCS=')) return (ok(), true);
    if (command === 'ATE0') {
      this.echo = false;
      return (ok(), true);
    }
    if (command === 'AT^CURC=0' && o.vendor === 'huawei') {
      this.curcSilenced = true;
      return (ok(), true);
    }
    if (command === 'AT+CPIN?') return (ok(this.pinState()), true);
    if (command === 'AT+CPINR="SIM PIN"') return (ok(`+CPINR: SIM PIN,${this.pinTries},3`), true);
    const cpin = /^AT\+CPIN="([^"]*)"$/.exec(command);
    if (cpin) return (this.enterPin(cpin[1]!, ok), true);
    const answers: Record<string, () => string> = {
      'AT+CSQ': () => `+CSQ: ${o.signal},99`,
      'AT+COPS?': () => (o.registration === 1 || o.registration === 5 ? `+COPS: 0,0,"${o.operator}",7` : '+COPS: 0'),
      'AT+CGMI': () => o.manufacturer,
      'AT+CGMM': () => o.model,
      'AT+CGSN': () => o.imei,
      'AT+CIMI': () => o.imsi,
      'AT+CSCA?': () => `+CSCA: "${o.smsc}",145`,
    };
    if (/^AT\+C(E|G)?REG\?$/.test(command)) return (ok(`${command.slice(2, -1)}: 0,${o.registration}`), true);
    const answer = answers[command];
    if (answer) return (ok(answer()), true);
    return false;
  }

  private enterPin(pin: string, ok: Reply['ok']): void {
    this.pinAttempts.push(pin);
    if (this.pinState() !== '+CPIN: SIM PIN') return this.write('\r\n+CME ERROR: 3\r\n');
    if (pin === this.options.pin) {
      this.simUnlocked = true;
      return ok();
    }
    this.pinTries--;
    this.write('\r\n+CME ERROR: 16\r\n'); // incorrect password
  }

  /** 27.005: message format, service, indications, storage, sending and reading. True when the command was one of these. */
  private answerMessaging(command: string, raw: string, reply: Reply): boolean {
    const { ok, cms, error } = reply;
    const o = this.options;
    if (command === 'AT+CMGF=?') return (ok(o.pduMode ? '+CMGF: (0,1)' : '+CMGF: (1)'), true);
    const cmgf = /^AT\+CMGF=([01])$/.exec(command);
    if (cmgf) {
      if (cmgf[1] === '0' && !o.pduMode) return (error(), true);
      this.cmgf = Number(cmgf[1]);
      return (ok(), true);
    }
    const csms = /^AT\+CSMS=([01])$/.exec(command);
    if (csms) {
      if (csms[1] === '1' && !o.phase2Plus) return (cms(303), true); // operation not supported
      this.csms = Number(csms[1]);
      return (ok(`+CSMS: 1,1,1`), true);
    }
    const cnmi = /^AT\+CNMI=(\d)(?:,(\d))?(?:,(\d))?(?:,(\d))?(?:,(\d))?$/.exec(command);
    if (cnmi) return (this.setIndications(Number(cnmi[2] ?? 0), Number(cnmi[4] ?? 0), ok), true);
    if (command === 'AT+CNMA') return (this.acknowledgeRouted(ok, cms), true);
    const csmp = /^AT\+CSMP=(\d+)/.exec(command);
    if (csmp) {
      this.csmpFirstOctet = Number(csmp[1]);
      return (ok(), true);
    }
    if (command.startsWith('AT+CPMS')) return (this.onCpms(command.slice('AT+CPMS'.length), ok, error), true);
    if (command.startsWith('AT+CMGS=')) return (this.onCmgs(raw.slice('AT+CMGS='.length), error), true);
    const cmgr = /^AT\+CMGR=(\d+)$/.exec(command);
    if (cmgr) return (this.onCmgr(Number(cmgr[1]), ok, cms), true);
    const cmgd = /^AT\+CMGD=(\d+)/.exec(command);
    if (cmgd) {
      this.memories.get(this.mem[0])!.delete(Number(cmgd[1]));
      return (ok(), true);
    }
    if (command === 'AT+CMGL=4' || command === 'AT+CMGL="ALL"') return (this.list(command === 'AT+CMGL=4', ok, cms), true);
    return false;
  }

  private setIndications(mt: number, ds: number, ok: Reply['ok']): void {
    this.cnmi = { mt, ds };
    ok();
    if (ds === 0) return;
    for (const report of this.heldReports.splice(0)) this.timers.after(this.options.redeliveryMs, () => this.fromNetwork(report));
  }

  private acknowledgeRouted(ok: Reply['ok'], cms: Reply['cms']): void {
    if (!this.awaitingAck) return cms(340); // no +CNMA acknowledgement expected
    clearTimeout(this.awaitingAck.timer);
    this.awaitingAck = null;
    ok();
    this.routeNext();
  }

  private list(pduListing: boolean, ok: Reply['ok'], cms: Reply['cms']): void {
    if (pduListing !== (this.cmgf === 0)) return cms(302);
    const lines: string[] = [];
    for (const [index, item] of this.memories.get(this.mem[0])!) {
      lines.push(...(this.cmgf === 0 ? [`+CMGL: ${index},${item.read ? 1 : 0},,${item.pdu.length / 2}`, item.pdu] : this.textListing(index, item)));
      item.read = true;
    }
    ok(...lines);
  }

  private onCpms(args: string, ok: (...lines: string[]) => void, error: () => void): void {
    if (args === '=?') return ok('+CPMS: ("SM","SR","ME"),("SM","ME"),("SM","ME")');
    const used = (m: Memory) => `${this.memories.get(m)!.size},${CAPACITY}`;
    if (args === '?') return ok(`+CPMS: ${this.mem.map((m) => `"${m}",${used(m)}`).join(',')}`);
    const wanted = splitFields(args.slice(1)) as Memory[];
    if (wanted.some((m) => !MEMORIES.includes(m))) return error();
    // Huawei E3372-325: all three memories or nothing (gammu #829).
    if (this.options.vendor === 'huawei' && wanted.length !== 3) return error();
    this.mem = [wanted[0]!, wanted[1] ?? this.mem[1], wanted[2] ?? this.mem[2]];
    ok(`+CPMS: ${this.mem.map(used).join(',')}`);
  }

  private onCmgs(args: string, error: () => void): void {
    if (this.garbageInsteadOfNextPrompt) {
      this.garbageInsteadOfNextPrompt = false;
      return this.garbage();
    }
    if (this.hangUpNextSend === 'before-pdu') return this.hangUp();
    if (this.cmgf === 1) {
      const [recipient] = splitFields(args);
      if (!recipient) return error();
      this.prompt = { length: null, recipient };
    } else {
      if (!/^\d+$/.test(args)) return error();
      this.prompt = { length: Number(args), recipient: null };
    }
    this.write('\r\n> ');
  }

  private onCmgr(index: number, ok: (...lines: string[]) => void, cms: (code: number) => void): void {
    const item = this.memories.get(this.mem[0])!.get(index);
    // SIM7600: a report it announced in SR cannot be read with AT+CMGR (python-gsmmodem #106).
    if (!item || (this.options.vendor === 'simcom' && this.mem[0] === 'SR')) return cms(321); // invalid memory index
    const lines =
      this.cmgf === 1 ? this.textRead(item) : [`+CMGR: ${item.read ? 1 : 0},,${item.pdu.length / 2 - (parseInt(item.pdu.slice(0, 2), 16) + 1)}`, item.pdu];
    item.read = true; // reading flips REC UNREAD to REC READ
    ok(...lines);
  }

  /** +CMGR in text mode without details (27.005 §4.1, CSDH=0). */
  private textRead(item: Stored): string[] {
    const stat = item.read ? '"REC READ"' : '"REC UNREAD"';
    const pdu = decodePdu(item.pdu);
    if (pdu.type === 'status-report') {
      return [
        `+CMGR: ${stat},6,${pdu.messageReference},"${pdu.recipient.number}",${pdu.recipient.toa},"${formatTextTimestamp(pdu.sentAt.utcMs, pdu.sentAt.zoneMinutes)}","${formatTextTimestamp(pdu.dischargedAt.utcMs, pdu.dischargedAt.zoneMinutes)}",${pdu.status}`,
      ];
    }
    if (pdu.type !== 'deliver') return [];
    return [`+CMGR: ${stat},"${pdu.sender.number}",,"${formatTextTimestamp(pdu.sentAt.utcMs, pdu.sentAt.zoneMinutes)}"`, ...pdu.text.split('\n')];
  }

  private textListing(index: number, item: Stored): string[] {
    const [header, ...text] = this.textRead(item);
    return [header!.replace(/^\+CMGR: /, `+CMGL: ${index},`), ...text];
  }

  private hangUp(): void {
    this.hangUpNextSend = null;
    this.silent = true;
    this.emit('hang-up');
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
    this.accepted(pdu, decodeShortMessage(pdu.payload, pdu.dataCoding === 8 ? 8 : 0));
  }

  private onTextBody(body: string, recipient: string): void {
    if (this.failNextSend !== null) {
      const code = this.failNextSend;
      this.failNextSend = null;
      return this.write(`\r\n+CMS ERROR: ${code}\r\n`);
    }
    const text = body.replace(/\r/g, '\n');
    const international = recipient.startsWith('+');
    const pdu: DecodedSubmit = {
      type: 'submit',
      messageReference: 0,
      recipient: { number: recipient, toa: international ? 0x91 : 0x81 },
      statusReport: (this.csmpFirstOctet & 0x20) !== 0,
      dataCoding: 0,
      validityMinutes: null,
      udh: null,
      payload: encodeGsm7(text),
    };
    this.accepted(pdu, text);
  }

  /** The network took the message: log it, answer +CMGS (unless a fault says otherwise), report later. */
  private accepted(pdu: DecodedSubmit, text: string): void {
    const messageReference = this.network.nextMr;
    this.network.nextMr = (this.network.nextMr + 1) % 256;
    this.network.sent.push({ pdu, text, messageReference, modem: this.options.name, at: Date.now() });
    if (this.hangUpNextSend === 'after-pdu') return this.hangUp();
    const answer = this.okWithoutReferenceNextSend ? '\r\nOK\r\n' : `\r\n+CMGS: ${messageReference}\r\n\r\nOK\r\n`;
    this.okWithoutReferenceNextSend = false;
    const delay = this.delayNextSendAnswerMs;
    this.delayNextSendAnswerMs = 0;
    if (delay > 0) this.timers.after(delay, () => this.write(answer));
    else this.write(answer);
    if (pdu.statusReport) this.timers.after(this.options.reportDelayMs + delay, () => this.deliverReport(messageReference, pdu.recipient.number));
  }
}

interface VendorIdentity {
  manufacturer: string;
  model: string;
  /** First storage index (Huawei counts from 0). */
  firstIndex: number;
  /** Quectel EC25: reports stored in SR but announced as "SM",0 (asterisk-chan-quectel PR #75). */
  announceReportsAs?: Memory;
  bootUrcs: readonly string[];
}

const VENDOR_IDENTITY: Record<SimVendor, VendorIdentity> = {
  generic: { manufacturer: 'telenode', model: 'modem-sim', firstIndex: 1, bootUrcs: [] },
  simcom: { manufacturer: 'SIMCOM_Ltd', model: 'SIMCOM_SIM7600E', firstIndex: 0, bootUrcs: ['RDY', '+CPIN: READY', 'SMS DONE', 'PB DONE'] },
  quectel: {
    manufacturer: 'Quectel',
    model: 'EC25',
    firstIndex: 0,
    announceReportsAs: 'SM',
    bootUrcs: ['RDY', '+CFUN: 1', '+CPIN: READY', '+QUSIM: 1', '+QIND: SMS DONE'],
  },
  huawei: { manufacturer: 'huawei', model: 'E3372', firstIndex: 0, bootUrcs: ['^BOOT:12345678,0,0,0,75', '^SIMST: 1'] },
};

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
