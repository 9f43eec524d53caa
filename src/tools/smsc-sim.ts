/**
 * `telenode smsc-sim`: an SMPP 3.4 SMSC simulator on node-smpp's server side.
 * Any ESME can bind to it (all three bind types); it answers submit_sm with
 * ids in hex or decimal, sends delivery receipts after a delay (with a chosen
 * share of UNDELIV), throttles or rejects a chosen share of submits, and sends
 * MO messages on demand. Like a real SMSC it keeps a receipt or MO until the
 * ESME acknowledges it, and sends it again on the next bind if the session
 * died first. The test suite uses it as the far end.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import smpp, { type Pdu, type Server, type Session } from '../sms/connectors/smpp/smpp-lib.js';
import { SmppStatus } from '../sms/connectors/smpp/status-codes.js';
import { decodeShortMessage, parseUdh, planSegments, buildConcatUdh } from '../sms/encoding/index.js';
import { silentLogger, type Logger } from '../shared/log.js';
import { receiptDate } from '../sms/smpp-server/smpp-time.js';
import { TimerSet } from '../shared/timer-set.js';
import { coalesceWrites } from '../shared/coalesced-writes.js';

export interface SmscSimulatorOptions {
  host?: string;
  /** 0: an ephemeral port (see `port` after start). */
  port?: number;
  /** Accepted credentials; absent: any. */
  users?: Array<{ systemId: string; password: string }>;
  idFormat?: 'hex' | 'decimal';
  /** The first message id handed out (default 0x10000); 1 gives the small sequential ids many SMSCs use. */
  firstId?: number;
  /** Ids in receipts, when they should be written differently from submit_sm_resp. */
  receiptIdFormat?: 'hex' | 'decimal';
  receiptDelayMs?: number;
  /** 0..1: share of receipts that say UNDELIV. */
  failureRate?: number;
  /** 0..1: share of submit_sm refused with ESME_RINVDSTADR (permanent). */
  rejectRate?: number;
  /** 0..1: share of submit_sm answered ESME_RTHROTTLED. */
  throttleRate?: number;
  /**
   * Accept at most this many submit_sm per account in any sliding second and
   * answer the rest ESME_RTHROTTLED, as carriers enforce a contracted rate; 0: no limit.
   */
  maxMps?: number;
  /** Put receipted_message_id and message_state TLVs in receipts (default true). */
  receiptTlvs?: boolean;
  /** Delay before each submit_sm_resp (to exercise windows). */
  responseDelayMs?: number;
  /** Carry receipts in deliver_sm (default) or data_sm (SMPP 3.4 §4.7). */
  receiptCommand?: 'deliver_sm' | 'data_sm';
  /** Also send an intermediate receipt with this stat (ENROUTE, ACCEPTD) at half the receipt delay. */
  intermediateStat?: 'ENROUTE' | 'ACCEPTD' | null;
  /** false: never send the final receipt (a message the network keeps forever). */
  finalReceipt?: boolean;
  /** Serve SMPP over TLS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  log?: Logger;
  random?: () => number;
}

export interface ReceivedSubmit {
  systemId: string;
  messageId: string;
  source: string;
  destination: string;
  dataCoding: number;
  esmClass: number;
  registeredDelivery: number;
  shortMessage: Buffer;
  text: string;
  concat: { reference: number; total: number; seq: number } | null;
  at: number;
  /** The stat of the final receipt sent for it (DELIVRD, UNDELIV), once sent. */
  finalStat?: string;
}

interface BoundSession {
  session: Session;
  systemId: string;
  role: 'transceiver' | 'transmitter' | 'receiver';
  /** deliver_sm sent on this session and not yet answered: back to `waiting` if it closes. */
  unacked: Set<PendingDelivery>;
}

interface PendingDelivery {
  systemId: string;
  fields: Record<string, unknown>;
  command?: 'deliver_sm' | 'data_sm';
  onAck?: () => void;
  /** The ESME refused it for good (ESME_RX_P_APPN): it is not sent again. */
  onRefused?: () => void;
}

export class SmscSimulator {
  readonly received: ReceivedSubmit[] = [];
  readonly counters = { binds: 0, submits: 0, throttled: 0, rejected: 0, receiptsSent: 0, receiptsAcked: 0, moSent: 0, refusedForGood: 0 };
  private server: Server | null = null;
  private readonly bound = new Set<BoundSession>();
  private readonly sessions = new Set<Session>();
  private readonly waiting: PendingDelivery[] = [];
  private readonly timers = new TimerSet();
  /** Per account: when its submits of the last second were accepted (for maxMps). */
  private readonly acceptedAt = new Map<string, number[]>();
  private nextId: number;
  private readonly options: Required<Omit<SmscSimulatorOptions, 'users' | 'receiptIdFormat' | 'tls'>> &
    Pick<SmscSimulatorOptions, 'users' | 'receiptIdFormat' | 'tls'>;
  port = 0;
  /** Set false to stop answering enquire_link (a link that looks up but is dead). */
  answerEnquireLink = true;

  constructor(options: SmscSimulatorOptions = {}) {
    this.options = {
      host: '127.0.0.1',
      port: 2775,
      idFormat: 'hex',
      firstId: 0x10000,
      receiptDelayMs: 1000,
      failureRate: 0,
      rejectRate: 0,
      throttleRate: 0,
      maxMps: 0,
      receiptTlvs: true,
      responseDelayMs: 0,
      receiptCommand: 'deliver_sm',
      intermediateStat: null,
      finalReceipt: true,
      log: silentLogger(),
      random: Math.random,
      ...options,
    };
    this.nextId = this.options.firstId;
  }

  async start(): Promise<{ port: number }> {
    const tls = this.options.tls;
    const server = smpp.createServer(tls ? { debug: false, key: tls.key, cert: tls.cert } : { debug: false }, (session) => this.accept(session));
    server.on('error', (err: Error) => this.options.log.error({ err }, 'smsc-sim server error'));
    await new Promise<void>((resolve) => server.listen(this.options.port, this.options.host, resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return { port: this.port };
  }

  async stop(): Promise<void> {
    this.timers.clear();
    for (const session of this.sessions) session.destroy();
    this.sessions.clear();
    this.bound.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Bound sessions right now. */
  get bindCount(): number {
    return this.bound.size;
  }

  /** Send an MO message (split and concatenated when long) to a receiving bind; resolves when every part is acked or refused for good. */
  async sendMo(mo: { from: string; to: string; text: string; parts?: 'udh8' | 'sar'; systemId?: string }): Promise<void> {
    const mode = mo.parts ?? 'udh8';
    const plan = planSegments(mo.text, { concat: mode });
    const reference = Math.floor(this.options.random() * 256);
    const total = plan.parts.length;
    await Promise.all(
      plan.parts.map(
        (part) =>
          new Promise<void>((resolve) => {
            const fields: Record<string, unknown> = {
              source_addr_ton: 1,
              source_addr_npi: 1,
              source_addr: mo.from,
              dest_addr_ton: 0,
              dest_addr_npi: 1,
              destination_addr: mo.to,
              data_coding: plan.dataCoding,
              esm_class: 0,
              short_message: part.payload,
            };
            if (total > 1 && mode === 'udh8') {
              fields['esm_class'] = 0x40;
              fields['short_message'] = Buffer.concat([buildConcatUdh(reference, total, part.seq, false), part.payload]);
            } else if (total > 1) {
              fields['sar_msg_ref_num'] = reference;
              fields['sar_total_segments'] = total;
              fields['sar_segment_seqnum'] = part.seq;
            }
            this.counters.moSent++;
            this.deliver({ systemId: mo.systemId ?? this.anySystemId(), fields, onAck: resolve, onRefused: resolve });
          }),
      ),
    );
  }

  private anySystemId(): string {
    for (const b of this.bound) if (b.role !== 'transmitter') return b.systemId;
    return '';
  }

  private accept(session: Session): void {
    // No Nagle (as for our own binds, connectors/smpp/bind.ts): a receipt sent on a quiet link must not wait for
    // the ESME's delayed ACK of the PDU before it. The responses and receipts of one turn of the event loop are
    // written together instead (coalesceWrites), so a busy link does not get a segment per PDU.
    session.socket.setNoDelay(true);
    this.sessions.add(session);
    let bound: BoundSession | null = null;
    session.on('error', () => session.destroy());
    session.on('close', () => {
      this.sessions.delete(session);
      if (!bound) return;
      this.bound.delete(bound);
      if (bound.unacked.size > 0) {
        this.waiting.push(...bound.unacked);
        bound.unacked.clear();
        this.timers.after(200, () => this.flushWaiting());
      }
    });
    for (const role of ['transceiver', 'transmitter', 'receiver'] as const) {
      session.on(`bind_${role}`, (pdu: Pdu) => {
        const systemId = String(pdu['system_id'] ?? '');
        const password = String(pdu['password'] ?? '');
        const users = this.options.users;
        if (users && !users.some((u) => u.systemId === systemId && u.password === password)) {
          session.send(pdu.response({ command_status: SmppStatus['ESME_RBINDFAIL'] }));
          return;
        }
        session.send(pdu.response({ system_id: 'telenode-sim' }));
        bound = { session, systemId, role, unacked: new Set() };
        this.bound.add(bound);
        this.counters.binds++;
        this.options.log.info({ systemId, role }, 'smsc-sim: bound');
        if (role !== 'transmitter') this.flushWaiting();
      });
    }
    session.on('enquire_link', (pdu: Pdu) => {
      if (this.answerEnquireLink) session.send(pdu.response());
    });
    session.on('unbind', (pdu: Pdu) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu: Pdu) => {
      if (!bound || bound.role === 'receiver') {
        session.send(pdu.response({ command_status: SmppStatus['ESME_RINVBNDSTS'] }));
        return;
      }
      this.onSubmit(session, bound, pdu);
    });
  }

  private onSubmit(session: Session, bound: BoundSession, pdu: Pdu): void {
    const answer = (fields: Record<string, unknown>) => {
      if (this.options.responseDelayMs > 0) {
        this.timers.after(this.options.responseDelayMs, () => !session.closed && session.send(pdu.response(fields)));
        return;
      }
      coalesceWrites(session.socket);
      session.send(pdu.response(fields));
    };
    const random = this.options.random;
    if (random() < this.options.throttleRate) {
      this.counters.throttled++;
      answer({ command_status: SmppStatus['ESME_RTHROTTLED'] });
      return;
    }
    if (this.options.maxMps > 0 && !this.withinRate(bound.systemId)) {
      this.counters.throttled++;
      answer({ command_status: SmppStatus['ESME_RTHROTTLED'] });
      return;
    }
    if (random() < this.options.rejectRate) {
      this.counters.rejected++;
      answer({ command_status: SmppStatus['ESME_RINVDSTADR'] });
      return;
    }
    const number = this.nextId++;
    const messageId = this.options.idFormat === 'hex' ? number.toString(16).toUpperCase() : String(number);
    const submit = this.record(bound.systemId, messageId, pdu);
    this.counters.submits++;
    answer({ message_id: messageId });
    if ((Number(pdu['registered_delivery']) & 0x03) !== 0) {
      const intermediate = this.options.intermediateStat;
      if (intermediate) this.timers.after(this.options.receiptDelayMs / 2, () => this.sendReceipt(bound.systemId, number, submit, intermediate));
      if (this.options.finalReceipt) this.timers.after(this.options.receiptDelayMs, () => this.sendReceipt(bound.systemId, number, submit));
    }
  }

  /** True (and counted) when the account has taken fewer than maxMps submits in the last 1,000 ms. */
  private withinRate(systemId: string): boolean {
    const now = Date.now();
    let times = this.acceptedAt.get(systemId);
    if (!times) this.acceptedAt.set(systemId, (times = []));
    while (times.length > 0 && times[0]! <= now - 1000) times.shift();
    if (times.length >= this.options.maxMps) return false;
    times.push(now);
    return true;
  }

  private record(systemId: string, messageId: string, pdu: Pdu): ReceivedSubmit {
    const esmClass = Number(pdu['esm_class'] ?? 0);
    const dataCoding = Number(pdu['data_coding'] ?? 0);
    const payloadTlv = Buffer.isBuffer(pdu['message_payload']) ? (pdu['message_payload'] as Buffer) : null;
    const shortMessage =
      payloadTlv && payloadTlv.length > 0 ? payloadTlv : Buffer.isBuffer(pdu['short_message']) ? (pdu['short_message'] as Buffer) : Buffer.alloc(0);
    let body = shortMessage;
    let concat: ReceivedSubmit['concat'] = null;
    if (esmClass & 0x40) {
      const udh = parseUdh(shortMessage);
      body = shortMessage.subarray(udh.length);
      if (udh.concat) concat = { reference: udh.concat.reference, total: udh.concat.total, seq: udh.concat.seq };
    } else if (typeof pdu['sar_msg_ref_num'] === 'number') {
      concat = { reference: pdu['sar_msg_ref_num'] as number, total: Number(pdu['sar_total_segments']), seq: Number(pdu['sar_segment_seqnum']) };
    }
    const submit: ReceivedSubmit = {
      systemId,
      messageId,
      source: String(pdu['source_addr'] ?? ''),
      destination: String(pdu['destination_addr'] ?? ''),
      dataCoding,
      esmClass,
      registeredDelivery: Number(pdu['registered_delivery'] ?? 0),
      shortMessage,
      text: decodeShortMessage(body, dataCoding),
      concat,
      at: Date.now(),
    };
    this.received.push(submit);
    return submit;
  }

  /**
   * Send the final receipt of a submit now, by its message id: with `finalReceipt: false`, the network delivers
   * when an operator (or a test) says so. False when no such submit was received or its receipt went already.
   */
  deliverNow(messageId: string): boolean {
    const submit = this.received.find((s) => s.messageId === messageId && s.finalStat === undefined);
    if (!submit) return false;
    this.sendReceipt(submit.systemId, parseInt(messageId, this.options.idFormat === 'hex' ? 16 : 10), submit);
    return true;
  }

  private sendReceipt(systemId: string, number: number, submit: ReceivedSubmit, intermediateStat?: 'ENROUTE' | 'ACCEPTD'): void {
    const failed = !intermediateStat && this.options.random() < this.options.failureRate;
    const format = this.options.receiptIdFormat ?? this.options.idFormat;
    const id = format === 'hex' ? number.toString(16).toUpperCase() : String(number);
    const date = receiptDate(submit.at);
    const done = receiptDate(Date.now());
    const stat = intermediateStat ?? (failed ? 'UNDELIV' : 'DELIVRD');
    if (!intermediateStat) submit.finalStat = stat;
    const text = `id:${id} sub:001 dlvrd:${failed || intermediateStat ? '000' : '001'} submit date:${date} done date:${done} stat:${stat} err:${failed ? '001' : '000'} text:${submit.text.slice(0, 20)}`;
    const fields: Record<string, unknown> = {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: submit.destination,
      dest_addr_ton: 0,
      dest_addr_npi: 1,
      destination_addr: submit.source,
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from(text, 'latin1'),
    };
    if (this.options.receiptTlvs) {
      fields['receipted_message_id'] = id;
      // SMPP 3.4 §5.2.28: 1 ENROUTE, 2 DELIVERED, 5 UNDELIVERABLE, 6 ACCEPTED.
      fields['message_state'] = intermediateStat === 'ENROUTE' ? 1 : intermediateStat === 'ACCEPTD' ? 6 : failed ? 5 : 2;
    }
    this.counters.receiptsSent++;
    if (this.options.receiptCommand === 'data_sm') {
      // data_sm has no short_message: the receipt text travels in message_payload.
      fields['message_payload'] = fields['short_message'];
      delete fields['short_message'];
    }
    this.deliver({ systemId, fields, command: this.options.receiptCommand, onAck: () => this.counters.receiptsAcked++ });
  }

  /** Send to a receiving bind of the system id; keep it until acknowledged (redelivered on the next bind). */
  private deliver(item: PendingDelivery): void {
    const target = [...this.bound].find((b) => b.systemId === item.systemId && b.role !== 'transmitter' && !b.session.closed);
    if (!target) {
      this.waiting.push(item);
      return;
    }
    const pdu = new smpp.PDU(item.command ?? 'deliver_sm', item.fields);
    target.unacked.add(item);
    coalesceWrites(target.session.socket);
    target.session.send(pdu, (resp: Pdu) => {
      if (!target.unacked.delete(item)) return;
      if (resp.command_status === 0) item.onAck?.();
      else if (resp.command_status === SmppStatus['ESME_RX_P_APPN']) {
        // Permanent (SMPP 3.4 §5.1.3): as an SMSC does, the simulator gives this one up; any other error is temporary.
        this.counters.refusedForGood++;
        item.onRefused?.();
      } else this.timers.after(500, () => this.deliver(item));
    });
  }

  private flushWaiting(): void {
    const items = this.waiting.splice(0);
    for (const item of items) this.deliver(item);
  }
}

export interface SmscSimCliOptions {
  host: string;
  port: number;
  idFormat: 'hex' | 'decimal';
  firstId?: number;
  receiptIdFormat?: 'hex' | 'decimal';
  receiptDelay: number;
  failureRate: number;
  rejectRate: number;
  throttleRate: number;
  maxMps?: number;
  user?: string[];
  tlsKey?: string;
  tlsCert?: string;
  receiptCommand?: 'deliver_sm' | 'data_sm';
  /** Seconds between counters lines (benchmarks read them). */
  statusInterval?: number;
  verbose?: boolean;
}

/** `telenode smsc-sim`: run until SIGINT/SIGTERM, printing a status line every 10 s. */
export async function runSmscSimCli(options: SmscSimCliOptions): Promise<void> {
  const { createLogger } = await import('../shared/log.js');
  const users = options.user?.map((u) => {
    const [systemId, ...rest] = u.split(':');
    return { systemId: systemId!, password: rest.join(':') };
  });
  const sim = new SmscSimulator({
    host: options.host,
    port: options.port,
    idFormat: options.idFormat,
    ...(options.firstId !== undefined ? { firstId: options.firstId } : {}),
    receiptIdFormat: options.receiptIdFormat,
    receiptDelayMs: options.receiptDelay,
    failureRate: options.failureRate,
    rejectRate: options.rejectRate,
    throttleRate: options.throttleRate,
    maxMps: options.maxMps ?? 0,
    users,
    receiptCommand: options.receiptCommand,
    tls: options.tlsKey && options.tlsCert ? { key: readFileSync(options.tlsKey), cert: readFileSync(options.tlsCert) } : undefined,
    log: options.verbose ? createLogger({ level: 'info' }) : silentLogger(),
  });
  const { port } = await sim.start();
  process.stdout.write(
    `SMSC simulator listening on ${options.host}:${port}${options.tlsKey ? ' (TLS)' : ''} (ids ${options.idFormat}, receipts after ${options.receiptDelay} ms)\n`,
  );
  const status = setInterval(
    () => {
      // Its reader gone (`telenode smsc-sim | head`): the simulator serves on, unprinted (src/cli/broken-pipe.ts).
      if (process.stdout.destroyed) return;
      const c = sim.counters;
      process.stdout.write(
        `binds ${sim.bindCount} · submits ${c.submits} · throttled ${c.throttled} · rejected ${c.rejected} · receipts ${c.receiptsSent} (acked ${c.receiptsAcked}) · MO ${c.moSent}\n`,
      );
    },
    (options.statusInterval ?? 10) * 1000,
  );
  const stop = () => {
    clearInterval(status);
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
