/**
 * A real HTTP callback receiver on loopback that records what it gets. It
 * can be taken down and brought back on the same port, and told to answer
 * with a given status, to exercise retries.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenOnLoopback } from './ports.js';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  form: URLSearchParams;
  at: number;
}

export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  status = 200;
  private server: Server | null = null;
  private waiters: Array<() => void> = [];
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (this.status >= 200 && this.status < 300) {
          this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, form: new URLSearchParams(body), at: Date.now() });
          for (const wake of this.waiters.splice(0)) wake();
        }
        res.statusCode = this.status;
        res.end('OK');
      });
    });
    // Port 0: one outside the ephemeral range, so a sender retrying while the receiver is down cannot take it (ports.ts).
    this.port = await listenOnLoopback(this.server, port);
    return this;
  }

  url(path = '/dlr'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Wait until `predicate` holds over the requests received so far. */
  async waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.requests)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${this.requests.length} requests)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
