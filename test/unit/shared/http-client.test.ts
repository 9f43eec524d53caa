/**
 * The node's HTTP client for answers it reads (OzML apps, prompt downloads) against a real server on loopback: an
 * answer cut off midway fails at once instead of holding the call, one announced as too long is refused before it is
 * read, a POST's form arrives whole, and the next request reuses the kept-alive connection.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/shared/errors.js';
import { HttpClient, type FetchOptions } from '../../../src/shared/http-client.js';

let server: Server;
let base: string;
const connections = new Set<Socket>();
let bodySent = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/cut') {
      // Promises 1000 bytes, sends 10, and hangs up.
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(10), () => res.socket?.destroy());
      return;
    }
    if (req.url === '/announced-large') {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (!res.destroyed && bodySent < 10 * 1024 * 1024 && res.write(chunk)) bodySent += chunk.length;
      };
      res.on('drain', pump);
      pump();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`${req.method} ${Buffer.concat(chunks).toString()}`));
  });
  server.on('connection', (socket) => connections.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const options = (extra: Partial<FetchOptions> = {}): FetchOptions => ({
  method: 'GET',
  signal: AbortSignal.timeout(5000),
  maxBytes: 1024 * 1024,
  tooLargeCode: ErrorCode.MEDIA_FETCH_FAILED,
  ...extra,
});

describe('HttpClient.fetch', () => {
  it('fails at once when the answer is cut off before its end', async () => {
    const client = new HttpClient(null);
    const failure = await client.fetch(`${base}/cut`, options()).then(
      () => null,
      (err: Error) => err,
    );
    client.close();
    expect(failure).toBeInstanceOf(Error);
    expect(failure!.name).not.toBe('AbortError'); // the cut itself, not the 5 s deadline
  });

  it('refuses an answer announced as longer than maxBytes, and drops the connection', async () => {
    const client = new HttpClient(null);
    await expect(client.fetch(`${base}/announced-large`, options())).rejects.toMatchObject({
      code: ErrorCode.MEDIA_FETCH_FAILED,
      message: `the answer is ${10 * 1024 * 1024} bytes; at most ${1024 * 1024} are read`,
    });
    client.close();
    // The server could not send the 10 MiB: the socket went away while its buffers were full.
    expect(bodySent).toBeLessThan(10 * 1024 * 1024);
  });

  it('posts the whole form and reuses the kept-alive connection for the next request', async () => {
    const client = new HttpClient(null);
    const before = connections.size;
    const first = await client.fetch(`${base}/app`, options({ method: 'POST', body: 'NotificationName=IncomingCall&Caller=%2B36' }));
    const second = await client.fetch(`${base}/app`, options({ method: 'POST', body: 'NotificationName=DtmfEntered' }));
    expect([first.status, first.body.toString()]).toEqual([200, 'POST NotificationName=IncomingCall&Caller=%2B36']);
    expect(second.body.toString()).toBe('POST NotificationName=DtmfEntered');
    expect(connections.size - before).toBe(1);
    client.close();
  });

  it('refuses schemes other than http and https without a policy too', async () => {
    const client = new HttpClient(null);
    await expect(client.fetch('file:///etc/passwd', options())).rejects.toMatchObject({ code: ErrorCode.EGRESS_DENIED });
    client.close();
  });
});
