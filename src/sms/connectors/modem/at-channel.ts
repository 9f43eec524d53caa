/**
 * The AT channel of one serial port (3GPP TS 27.007 / 27.005, V.250): one
 * command in flight; bytes read as they come; unsolicited result codes split
 * out of pending replies, including the two-line ones (+CMT, +CDS carry the
 * PDU on the next line); the `> ` prompt of AT+CMGS answered though it has no
 * line end; OK / ERROR / +CMS ERROR / +CME ERROR turned into results or typed
 * errors; a timeout per command.
 *
 * After a timeout the channel resynchronises before the next command: it
 * sends ESC (leave a half-open `> ` prompt) and a bare AT, and only when that
 * AT's OK has been followed by a quiet moment does the next command go out.
 * A late final result of the timed-out command therefore lands in the resync
 * and is never taken as the answer to the next command ('late-reply' event).
 * When the resync gets no OK either, the channel closes ('unresponsive').
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { cmeError, cmsError, plainError, textualError } from './at-errors.js';

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

export interface AtChannelOptions {
  defaultTimeoutMs?: number;
  /** How long the line must stay quiet after the resync AT's OK (a late OK may still be on its way). */
  resyncQuietMs?: number;
}

/** Always unsolicited, whatever command is pending (27.005/27.007 codes and the common vendor ones). */
const URC_PREFIXES = [
  '+CMTI:',
  '+CDSI:',
  '+CMT:',
  '+CDS:',
  'RING',
  '+CRING:',
  '+CLIP:',
  '^RSSI:',
  '^HCSQ:',
  '^MODE:',
  '^BOOT:',
  '^SYSSTART',
  '^SRVST:',
  '+CUSD:',
  '+QIND:',
  'RDY',
  '+CPIN: READY',
  'Call Ready',
  'SMS Ready',
  '+CFUN:',
];
const TWO_LINE_URCS = ['+CMT:', '+CDS:'];
/** Final results that are plain failures: V.250 ERROR, Huawei's "COMMAND NOT SUPPORT", a dropped data call. */
const PLAIN_ERRORS = new Set(['ERROR', 'COMMAND NOT SUPPORT', 'NO CARRIER']);
const CTRL_Z = '\x1a';
const ESC = '\x1b';
/** The `> ` prompt at the head of what was read; more may follow it in the same chunk (an unsolicited report). */
const PROMPT = /^(\r?\n)*> ?/;

interface Pending {
  command: string;
  /** '+CMGR:' for AT+CMGR=1: reply lines with this prefix are never mistaken for URCs. */
  replyPrefix: string | null;
  lines: string[];
  body: string | undefined;
  /** The body went out: a failure from now on may still have sent the message. */
  bodyWritten: boolean;
  resolve: (r: AtResponse) => void;
  reject: (e: AppError) => void;
  timer: NodeJS.Timeout;
}

interface Resync {
  /** The command that timed out. */
  after: string;
  attempts: number;
  timer: NodeJS.Timeout;
  quiet: NodeJS.Timeout | null;
}

export class AtChannel extends EventEmitter {
  private buffer = '';
  private pending: Pending | null = null;
  private resync: Resync | null = null;
  private readonly queue: Array<() => void> = [];
  private awaitingUrcData: string | null = null;
  private closed = false;
  private closedBy: AppError | null = null;
  private noise: readonly string[] = [];
  private promptDelayMs = 0;
  private readonly defaultTimeoutMs: number;
  private readonly resyncQuietMs: number;

  constructor(
    private readonly port: Duplex,
    options: AtChannelOptions | number = {},
  ) {
    super();
    const o = typeof options === 'number' ? { defaultTimeoutMs: options } : options;
    this.defaultTimeoutMs = o.defaultTimeoutMs ?? 10_000;
    this.resyncQuietMs = o.resyncQuietMs ?? 150;
    port.on('data', (chunk: Buffer) => this.onData(chunk.toString('latin1')));
    port.on('close', () => this.close(new AppError(ErrorCode.MODEM_CLOSED, 'serial port closed', { retryable: true })));
    port.on('error', (err: Error) => this.emit('port-error', err));
  }

  /** Vendor URCs of the modem's profile (e.g. Huawei ^DSFLOWRPT): split out of replies like the standard ones. */
  setNoise(prefixes: readonly string[]): void {
    this.noise = prefixes;
  }

  /** Wait this long after the `> ` prompt before writing the body (modems that drop the first bytes). */
  setPromptDelay(ms: number): void {
    this.promptDelayMs = ms;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Send one command; waits until any command before it (and any resync) has finished. */
  send(command: string, options: SendOptions = {}): Promise<AtResponse> {
    if (this.closed) return Promise.reject(this.closedError());
    return new Promise<AtResponse>((resolve, reject) => {
      const start = () => {
        if (this.closed) {
          reject(this.closedError());
          return;
        }
        const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
        const timer = setTimeout(() => this.timedOut(timeoutMs), timeoutMs);
        const prefix = /^AT([+^][A-Z0-9]+)/i.exec(command)?.[1];
        this.pending = {
          command,
          replyPrefix: prefix ? `${prefix.toUpperCase()}:` : null,
          lines: [],
          body: options.body,
          bodyWritten: false,
          resolve,
          reject,
          timer,
        };
        this.port.write(`${command}\r`);
      };
      if (this.pending || this.resync) this.queue.push(start);
      else start();
    });
  }

  /** Abort a half-entered SMS body (init: the modem may still wait at a `> ` prompt). */
  abortPrompt(): void {
    this.port.write(ESC);
  }

  /** Fail the pending and queued commands (port gone). */
  close(error: AppError): void {
    if (this.closed) return;
    this.closed = true;
    this.closedBy = error;
    this.stopResync();
    if (this.pending) {
      const sent = this.pending.bodyWritten;
      this.finish(sent ? withDetails(error, { bodyWritten: true }) : error);
    }
    for (const start of this.queue.splice(0)) start();
    this.emit('closed', error);
  }

  /** Commands that never went out: nothing was sent, whatever closed the channel. */
  private closedError(): AppError {
    const cause = this.closedBy;
    return new AppError(cause?.code ?? ErrorCode.MODEM_CLOSED, cause ? `not sent: ${cause.message}` : 'AT channel is closed', {
      retryable: true,
      details: { bodyWritten: false },
    });
  }

  private timedOut(timeoutMs: number): void {
    const pending = this.pending;
    if (!pending) return;
    const error = new AppError(ErrorCode.MODEM_TIMEOUT, `no final result for ${pending.command} within ${timeoutMs} ms`, {
      retryable: true,
      details: { command: pending.command, bodyWritten: pending.bodyWritten },
    });
    this.pending = null;
    clearTimeout(pending.timer);
    pending.reject(error);
    this.startResync(pending.command);
  }

  private startResync(after: string): void {
    const attempts = (this.resync?.attempts ?? 0) + 1;
    this.stopResync();
    if (attempts > 2) {
      this.emit('unresponsive', after);
      this.close(new AppError(ErrorCode.MODEM_TIMEOUT, `modem does not answer AT after ${after} timed out`, { retryable: true }));
      return;
    }
    const timer = setTimeout(() => this.startResync(after), this.defaultTimeoutMs);
    this.resync = { after, attempts, timer, quiet: null };
    this.port.write(`${ESC}AT\r`);
  }

  private stopResync(): void {
    if (!this.resync) return;
    clearTimeout(this.resync.timer);
    if (this.resync.quiet) clearTimeout(this.resync.quiet);
    this.resync = null;
  }

  private onResyncLine(resync: Resync, line: string): void {
    if (line === 'OK') {
      // Ours or the late one of the timed-out command: either way wait for quiet before trusting the line.
      clearTimeout(resync.timer);
      if (resync.quiet) clearTimeout(resync.quiet);
      resync.quiet = setTimeout(() => {
        this.stopResync();
        this.next();
      }, this.resyncQuietMs);
      return;
    }
    if (line === 'AT') return; // echo
    this.emit('late-reply', { command: resync.after, line });
  }

  private onData(text: string): void {
    this.buffer += text;
    for (;;) {
      const prompt = PROMPT.exec(this.buffer);
      if (prompt) {
        // A busy event loop may read the prompt together with what the modem sent after it (a +CDS report): take
        // the prompt off the front and go on with the rest, or the body is never written and the send times out.
        if (this.pending?.body !== undefined && !this.pending.bodyWritten) {
          this.buffer = this.buffer.slice(prompt[0].length);
          this.writeBody(this.pending);
          continue;
        }
        if (this.resync) {
          // A prompt nobody wants (its AT+CMGS timed out): leave it, or it swallows the next commands as text.
          this.buffer = this.buffer.slice(prompt[0].length);
          this.port.write(`${ESC}AT\r`);
          continue;
        }
      }
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) return;
      const line = this.buffer.slice(0, match.index).trim();
      this.buffer = this.buffer.slice(match.index + match[0].length);
      if (line.length > 0) this.onLine(line);
    }
  }

  private writeBody(pending: Pending): void {
    pending.bodyWritten = true;
    const body = pending.body!;
    const write = () => {
      if (this.pending === pending) this.port.write(body + CTRL_Z);
    };
    if (this.promptDelayMs > 0) setTimeout(write, this.promptDelayMs);
    else write();
  }

  private isUrc(line: string): boolean {
    return URC_PREFIXES.some((p) => line.startsWith(p)) || this.noise.some((p) => line.startsWith(p));
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
    const isReply = pending?.replyPrefix !== undefined && pending.replyPrefix !== null && line.startsWith(pending.replyPrefix);
    if (!isReply && this.isUrc(line)) {
      if (TWO_LINE_URCS.some((p) => line.startsWith(p))) this.awaitingUrcData = line;
      else this.emit('urc', { line } satisfies UnsolicitedCode);
      return;
    }
    if (this.resync) return this.onResyncLine(this.resync, line);
    if (!pending) {
      this.emit('urc', { line } satisfies UnsolicitedCode);
      return;
    }
    if (line === 'OK') return this.finish(null);
    if (PLAIN_ERRORS.has(line)) return this.finish(plainError(pending.command, line));
    const numbered = /^\+(CMS|CME) ERROR:\s*(-?\d+)\s*$/.exec(line);
    if (numbered) return this.finish(numbered[1] === 'CMS' ? cmsError(Number(numbered[2]), pending.command) : cmeError(Number(numbered[2]), pending.command));
    // AT+CMEE=2 or odd firmware: the error as words.
    if (/^\+CM[SE] ERROR:/.test(line)) return this.finish(textualError(line, pending.command));
    pending.lines.push(line);
  }

  private finish(error: AppError | null): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    clearTimeout(pending.timer);
    if (error) pending.reject(pending.bodyWritten && !error.details?.bodyWritten ? withDetails(error, { bodyWritten: true }) : error);
    else pending.resolve({ command: pending.command, lines: pending.lines });
    this.next();
  }

  private next(): void {
    if (this.pending || this.resync) return;
    this.queue.shift()?.();
  }
}

function withDetails(error: AppError, details: Record<string, unknown>): AppError {
  return new AppError(error.code, error.message, {
    retryable: error.retryable,
    protocolStatus: error.protocolStatus,
    details: { ...error.details, ...details },
    cause: error.cause,
  });
}

/** True when the failure leaves open whether the modem sent the message (the PDU had gone out). */
export function mayHaveBeenSent(error: unknown): boolean {
  if (!(error instanceof AppError)) return false;
  if (error.details?.['possiblySent'] === true) return true;
  return error.details?.['bodyWritten'] === true && (error.code === ErrorCode.MODEM_TIMEOUT || error.code === ErrorCode.MODEM_CLOSED);
}
