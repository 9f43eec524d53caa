/**
 * The AT channel of one serial port (3GPP TS 27.007 / 27.005, V.250): one
 * command in flight; bytes read as they come; unsolicited result codes split
 * out of pending replies, including the two-line ones (+CMT, +CDS carry the
 * PDU on the next line); the `> ` prompt of AT+CMGS answered though it has no
 * line end; OK / ERROR / +CMS ERROR / +CME ERROR turned into results or typed
 * errors; a timeout per command.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { cmeError, cmsError, plainError } from './at-errors.js';

export interface AtResponse {
  command: string;
  /** Information lines of the reply, without the final result code. */
  lines: string[];
}

export interface UnsolicitedCode {
  line: string;
  /** The second line of a two-line code (+CMT, +CDS): the PDU. */
  data?: string;
}

export interface SendOptions {
  timeoutMs?: number;
  /** Text to send after the `> ` prompt, terminated with Ctrl-Z (AT+CMGS, AT+CMGW). */
  body?: string;
}

/** Always unsolicited, whatever command is pending. */
const URC_PREFIXES = ['+CMTI:', '+CDSI:', '+CMT:', '+CDS:', 'RING', '+CRING:', '+CLIP:', '^RSSI:', '^HCSQ:', '^MODE:', '^BOOT:', '^SYSSTART', '^SRVST:', '+CUSD:', '+QIND:', 'RDY', '+CPIN: READY', 'Call Ready', 'SMS Ready', '+CFUN:'];
const TWO_LINE_URCS = ['+CMT:', '+CDS:'];
const FINAL_OK = new Set(['OK']);
const CTRL_Z = '\x1a';

interface Pending {
  command: string;
  /** '+CMGR:' for AT+CMGR=1: reply lines with this prefix are never mistaken for URCs. */
  replyPrefix: string | null;
  lines: string[];
  body: string | undefined;
  resolve: (r: AtResponse) => void;
  reject: (e: AppError) => void;
  timer: NodeJS.Timeout;
}

export class AtChannel extends EventEmitter {
  private buffer = '';
  private pending: Pending | null = null;
  private readonly queue: Array<() => void> = [];
  private awaitingUrcData: string | null = null;
  private closed = false;

  constructor(
    private readonly port: Duplex,
    private readonly defaultTimeoutMs = 10_000,
  ) {
    super();
    port.on('data', (chunk: Buffer) => this.onData(chunk.toString('latin1')));
    port.on('close', () => this.close(new AppError(ErrorCode.MODEM_CLOSED, 'serial port closed', { retryable: true })));
    port.on('error', (err: Error) => this.emit('port-error', err));
  }

  /** Send one command; waits until any command before it has finished. */
  send(command: string, options: SendOptions = {}): Promise<AtResponse> {
    if (this.closed) return Promise.reject(new AppError(ErrorCode.MODEM_CLOSED, 'AT channel is closed', { retryable: true }));
    return new Promise<AtResponse>((resolve, reject) => {
      const start = () => {
        if (this.closed) {
          reject(new AppError(ErrorCode.MODEM_CLOSED, 'AT channel is closed', { retryable: true }));
          return;
        }
        const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
        const timer = setTimeout(() => this.finish(new AppError(ErrorCode.MODEM_TIMEOUT, `no final result for ${command} within ${timeoutMs} ms`, { retryable: true, details: { command } })), timeoutMs);
        const prefix = /^AT([+^][A-Z0-9]+)/i.exec(command)?.[1];
        this.pending = { command, replyPrefix: prefix ? `${prefix.toUpperCase()}:` : null, lines: [], body: options.body, resolve, reject, timer };
        this.port.write(`${command}\r`);
      };
      if (this.pending) this.queue.push(start);
      else start();
    });
  }

  /** Abort a half-entered SMS body (init: the modem may still wait at a `> ` prompt). */
  abortPrompt(): void {
    this.port.write('\x1b');
  }

  /** Fail the pending and queued commands (port gone). */
  close(error: AppError): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pending) this.finish(error);
    for (const start of this.queue.splice(0)) start();
  }

  private onData(text: string): void {
    this.buffer += text;
    for (;;) {
      // The AT+CMGS prompt is "> " with no line end (27.005 §3.5.1).
      if (this.pending?.body !== undefined && /^(\r?\n)*> ?$/.test(this.buffer)) {
        this.buffer = '';
        const body = this.pending.body;
        this.pending.body = undefined;
        this.port.write(body + CTRL_Z);
        return;
      }
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) return;
      const line = this.buffer.slice(0, match.index).trim();
      this.buffer = this.buffer.slice(match.index + match[0].length);
      if (line.length > 0) this.onLine(line);
    }
  }

  private onLine(line: string): void {
    if (this.awaitingUrcData !== null) {
      const head = this.awaitingUrcData;
      this.awaitingUrcData = null;
      this.emit('urc', { line: head, data: line } satisfies UnsolicitedCode);
      return;
    }
    const pending = this.pending;
    if (pending && line === pending.command) return; // echo (before ATE0 took effect)
    const isReply = pending?.replyPrefix !== null && pending?.replyPrefix !== undefined && line.startsWith(pending.replyPrefix);
    if (!isReply && URC_PREFIXES.some((p) => line.startsWith(p))) {
      if (TWO_LINE_URCS.some((p) => line.startsWith(p))) this.awaitingUrcData = line;
      else this.emit('urc', { line } satisfies UnsolicitedCode);
      return;
    }
    if (!pending) {
      this.emit('urc', { line } satisfies UnsolicitedCode);
      return;
    }
    if (FINAL_OK.has(line)) return this.finish(null);
    if (line === 'ERROR') return this.finish(plainError(pending.command));
    const cms = /^\+CMS ERROR:\s*(\d+)/.exec(line);
    if (cms) return this.finish(cmsError(Number(cms[1]), pending.command));
    const cme = /^\+CME ERROR:\s*(\d+)/.exec(line);
    if (cme) return this.finish(cmeError(Number(cme[1]), pending.command));
    pending.lines.push(line);
  }

  private finish(error: AppError | null): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve({ command: pending.command, lines: pending.lines });
    this.queue.shift()?.();
  }
}
