import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackConnections, type CallbackConnectionsOptions } from '../../src/webhooks/callback-connections.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  connection: number;
}

/** A node:http receiver that records each request and the connection it came on, and answers as `answer` says. */
async function receiver(
  answer: (request: Received, respond: (status: number, headers?: Record<string, string>) => void) => void = (_, respond) => respond(200),
) {
  const received: Received[] = [];
  const sockets = new Map<Socket, number>();
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        connection: sockets.get(req.socket)!,
      };
      received.push(request);
      answer(request, (status, headers = {}) => {
        res.writeHead(status, { 'content-type': 'text/plain', ...headers });
        res.end('answered');
      });
    });
  });
  server.on('connection', (socket: Socket) => sockets.set(socket, sockets.size + 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(() => server.closeAllConnections());
  return { server, received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => sockets.size };
}

/** A TCP server that answers each connection's first request with `raw`, as it is. */
async function rawServer(raw: string, closeAfter = false) {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => {
      socket.write(raw);
      if (closeAfter) socket.end();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(() => sockets.forEach((socket) => socket.destroy()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function connections(options: Partial<CallbackConnectionsOptions> = {}) {
  const pool = new CallbackConnections({ perOrigin: 4, timeoutMs: 5000, ...options });
  cleanups.push(() => pool.close());
  return pool;
}

const post = (url: string, body = 'id=1&status=DELIVRD', headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' }) =>
  ({ url: new URL(url), method: 'POST', headers, body }) as const;

describe('callback connections: HTTP/1.1 with keep-alive', () => {
  it('sends method, path, headers and body, and keeps one connection for requests one after another', async () => {
    const { url, received, connections: opened } = await receiver();
    const pool = connections();
    for (let i = 0; i < 5; i++) {
      expect(
        await pool.exchange(
          post(`${url}/receipts?n=${i}`, `{"id":${i},"text":"Grüße"}`, { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Signature': 'abc' }),
        ),
      ).toEqual({ status: 200 });
    }
    expect(await pool.exchange({ url: new URL(`${url}/get?x=1`), method: 'GET', headers: {}, body: null })).toEqual({ status: 200 });
    expect(received.map((r) => [r.method, r.url, r.body])).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => ['POST', `/receipts?n=${i}`, `{"id":${i},"text":"Grüße"}`]),
      ['GET', '/get?x=1', ''],
    ]);
    expect(received[0]!.headers).toMatchObject({
      host: url.slice('http://'.length),
      'content-type': 'application/x-www-form-urlencoded',
      'x-signature': 'abc',
      'content-length': String(Buffer.byteLength('{"id":0,"text":"Grüße"}')),
    });
    expect(opened()).toBe(1);
  });

  it('opens at most perOrigin connections, and the requests beyond wait for one', async () => {
    const held: Array<() => void> = [];
    const { url, received, connections: opened } = await receiver((_, respond) => held.push(() => respond(204)));
    const pool = connections({ perOrigin: 2 });
    const outcomes = Array.from({ length: 6 }, (_, i) => pool.exchange(post(`${url}/${i}`)));
    await expect.poll(() => held.length, { timeout: 5000 }).toBe(2);
    expect(opened()).toBe(2);
    while (received.length < 6 || held.length > 0) {
      held.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(outcomes)).toEqual(Array(6).fill({ status: 204 }));
    expect(opened()).toBe(2);
  });

  it('does not reuse a connection the server closes, or keeps for less than a second', async () => {
    const closing = await receiver((_, respond) => respond(200, { connection: 'close' }));
    const pool = connections();
    for (let i = 0; i < 3; i++) expect(await pool.exchange(post(closing.url))).toEqual({ status: 200 });
    expect(closing.connections()).toBe(3);

    const brief = await receiver();
    brief.server.keepAliveTimeout = 1000; // it says so: Keep-Alive: timeout=1
    for (let i = 0; i < 3; i++) expect(await pool.exchange(post(brief.url))).toEqual({ status: 200 });
    expect(brief.connections()).toBe(3);
  });

  it('reads a chunked answer and one that ends with its connection', async () => {
    const pool = connections();
    const chunked = await rawServer('HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nfine\r\n0\r\n\r\n');
    expect(await pool.exchange(post(chunked))).toEqual({ status: 201 });
    const untilClose = await rawServer('HTTP/1.1 503 Service Unavailable\r\n\r\ncome back later', true);
    expect(await pool.exchange(post(untilClose))).toEqual({ status: 503 });
  });

  it('never takes a second answer to one request for the next request’s', async () => {
    const pool = connections({ perOrigin: 1 });
    const twice = await rawServer('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 500 Not Yours\r\nContent-Length: 0\r\n\r\n');
    // The second waits for the one connection; the one that said more is closed, and the second goes on a new one.
    expect(await Promise.all([pool.exchange(post(twice)), pool.exchange(post(twice))])).toEqual([{ status: 200 }, { status: 200 }]);
  });

  it('fails an attempt whose answer is not HTTP, is cut off, or does not come in time', async () => {
    const pool = connections({ timeoutMs: 300 });
    expect(await pool.exchange(post(await rawServer('220 smtp.example ESMTP\r\n\r\n')))).toMatchObject({
      error: expect.stringContaining('not an HTTP/1.x status line'),
    });
    expect(await pool.exchange(post(await rawServer('HTTP/1.1 200 OK\r\nContent-', true)))).toEqual({ error: 'the connection closed before an answer came' });
    const silent = await receiver(() => undefined);
    expect(await pool.exchange(post(silent.url))).toEqual({ error: 'no answer within 300 ms' });
    const refused = await rawServer('');
    cleanups.pop()!();
    await cleanups.pop()!(); // closed: nothing listens there now
    expect(await pool.exchange(post(refused))).toEqual({ error: 'ECONNREFUSED' });
  });

  it('refuses a header it could not send as given, sending nothing, and sends URL credentials as Basic authorization', async () => {
    const { url, received } = await receiver();
    const pool = connections();
    expect(await pool.exchange(post(url, 'x', { 'X-Injected': 'a\r\nX-Other: b' }))).toEqual({
      error: 'invalid character in the value of header X-Injected',
      permanent: true,
    });
    expect(await pool.exchange(post(url, 'x', { 'Bad Name': 'a' }))).toMatchObject({ permanent: true });
    expect(received).toEqual([]);
    expect(await pool.exchange(post(url.replace('http://', 'http://user%40x:p%C3%A4ss@')))).toEqual({ status: 200 });
    expect(received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('user@x:päss').toString('base64')}`);
  });
});
