/**
 * A real HTTP app on loopback that answers OzML notifications: each path
 * gets a reply (status, body, optional delay) and every request is recorded
 * with its form fields, as an Ozeki app's PHP page would see it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AppReply {
  status?: number;
  body?: string;
  delayMs?: number;
}

export interface AppRequestRecord {
  path: string;
  url: string;
  form: Record<string, string>;
  at: number;
}

export class OzmlApp {
  readonly requests: AppRequestRecord[] = [];
  private readonly replies = new Map<string, (form: Record<string, string>) => AppReply>();
  private server: Server | null = null;
  port = 0;

  /** What `path` answers; a function sees the posted form. */
  on(path: string, reply: AppReply | string | ((form: Record<string, string>) => AppReply | string)): this {
    const fn = typeof reply === 'function' ? reply : () => reply;
    this.replies.set(path, (form) => {
      const r = fn(form);
      return typeof r === 'string' ? { body: r } : r;
    });
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  notifications(name: string): Record<string, string>[] {
    return this.requests.filter((r) => r.form['NotificationName'] === name).map((r) => r.form);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '/';
        const path = url.split('?')[0]!;
        const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        this.requests.push({ path, url, form, at: Date.now() });
        const reply = this.replies.get(path)?.(form) ?? { status: 404, body: 'not found' };
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/xml' }).end(reply.body ?? '');
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
