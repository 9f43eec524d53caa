/**
 * A real SMTP server on loopback (npm smtp-server) that records what it
 * receives. It can answer with a temporary failure, or be stopped and started
 * again on the same port, to exercise retries.
 */
import { SMTPServer } from 'smtp-server';
import { listenOnLoopback } from './ports.js';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** When it was taken (Date.now()). */
  at: number;
}

export class SmtpReceiver {
  readonly mails: ReceivedMail[] = [];
  /** When set, every message is refused with this SMTP reply code (e.g. 451). */
  failWith: number | null = null;
  port = 0;
  private server: SMTPServer | null = null;

  async start(port = 0): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.failWith !== null) {
            const err = Object.assign(new Error('try again later'), { responseCode: this.failWith });
            callback(err);
            return;
          }
          this.mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            at: Date.now(),
          });
          callback();
        });
      },
    });
    // Port 0: one outside the ephemeral range, so a sender retrying while the server is down cannot take it (ports.ts).
    // A failed listen is settled by listenOnLoopback; SMTPServer re-emits it on itself, where nobody listens.
    const reEmitted = () => undefined;
    this.server.on('error', reEmitted);
    try {
      this.port = await listenOnLoopback(this.server.server, port);
    } finally {
      this.server.off('error', reEmitted);
    }
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async waitFor(predicate: (mails: ReceivedMail[]) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.mails)) {
      if (Date.now() > deadline) throw new Error(`smtp: condition not met within ${timeoutMs} ms (${this.mails.length} mails)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
