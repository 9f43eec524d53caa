/**
 * The API's listener against clients that hold connections: too many from one address or in all are answered 503 and
 * closed as they come while the rest are served, and a request that arrives too slowly (headers or body trickled, or nothing at all)
 * is answered 408 and closed, so that no client can hold the node's descriptors for as long as it likes.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PIPELINED } from '../../../src/api/http/pipelining-limit.js';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { waitUntil } from '../../helpers/temp-dir.js';

let env: Awaited<ReturnType<typeof startDaemon>>;
let port: number;
const PER_SOURCE = 4;
const TOTAL = 6;

/** A node with these `http` settings for the tests of one describe block. */
function nodeWith(http: Record<string, unknown>): void {
  beforeAll(async () => {
    env = await startDaemon({ http: { host: '127.0.0.1', port: 0, ...http } });
    port = Number(new URL(env.base).port);
  });
  afterAll(async () => {
    await env?.stop();
  });
}

/** What the node sent on each connection opened here, until it closed it. */
const received = new WeakMap<Socket, string>();

/** A connection from `localAddress` (any of 127.0.0.0/8 is this machine: a second source without a second host). */
function open(localAddress = '127.0.0.1'): Socket {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => undefined);
  received.set(socket, '');
  socket.on('data', (d: Buffer) => received.set(socket, received.get(socket)! + d.toString()));
  return socket;
}

/** Everything the node sent on `socket` once it has closed it. */
function readToClose(socket: Socket): Promise<string> {
  return new Promise((resolve) => (socket.closed ? resolve(received.get(socket)!) : socket.once('close', () => resolve(received.get(socket)!))));
}

/** Writes one request and resolves with the status line of its answer. */
function exchange(socket: Socket, request: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString();
      if (!text.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      resolve(text.split('\r\n')[0]!);
    };
    socket.on('data', onData);
    socket.write(request);
  });
}

const HEALTH = 'GET /health HTTP/1.1\r\nHost: telenode\r\n\r\n';

function refusedCounts(metrics: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [, limit, value] of metrics.matchAll(/^telenode_http_connections_refused_total\{limit="(\w+)"\} (\d+)$/gm)) counts[limit!] = Number(value);
  return counts;
}

const connected = (socket: Socket) => new Promise<void>((resolve) => (socket.connecting ? socket.once('connect', () => resolve()) : resolve()));

describe('API connection limits', () => {
  // The default request deadline (30 s): the connections kept here stay open while the test uses them.
  nodeWith({ maxConnections: TOTAL, maxConnectionsPerSource: PER_SOURCE });

  it('closes connections past the per-address and the total limit at once and serves the others', async () => {
    const first = Array.from({ length: PER_SOURCE + 2 }, () => open());
    const second: Socket[] = [];
    try {
      await waitUntil(() => first.filter((s) => s.closed).length === 2, 10_000, 'two connections past the per-address limit closed');
      // Answered "try later" (before they asked: whatever they would have sent), as a sender's retry logic expects.
      for (const s of first.filter((s) => s.closed)) expect(received.get(s)).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n[^]*Retry-After: 1\r\n/);
      const kept = first.filter((s) => !s.closed);
      expect(kept).toHaveLength(PER_SOURCE);
      expect(await Promise.all(kept.map((s) => exchange(s, HEALTH)))).toEqual(Array(PER_SOURCE).fill('HTTP/1.1 200 OK'));

      // Another address gets the two places left in all; its third connection is one too many for the node.
      for (let i = 0; i < 3; i++) second.push(open('127.0.0.2'));
      await waitUntil(() => second.filter((s) => s.closed).length === 1, 10_000, 'one connection past the total limit closed');
      expect(received.get(second.find((s) => s.closed)!)).toMatch(/^HTTP\/1\.1 503 /);
      const keptSecond = second.filter((s) => !s.closed);
      expect(await Promise.all(keptSecond.map((s) => exchange(s, HEALTH)))).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);

      // The refusals are counted (read over a connection the node kept: there is no room for another).
      const metrics = readToClose(keptSecond[0]!);
      keptSecond[0]!.write('GET /metrics HTTP/1.1\r\nHost: telenode\r\nConnection: close\r\n\r\n');
      expect(refusedCounts(await metrics)).toEqual({ source: 2, total: 1 });

      // Places are given back as connections close.
      for (const s of [...first, ...second]) s.destroy();
      // fetch sees the refusal as a 503 (until the node has seen the others close), then its answer.
      await waitUntil(async () => (await fetch(`${env.base}/health`)).status === 200, 10_000, 'a new connection served once the others closed');
    } finally {
      for (const s of [...first, ...second]) s.destroy();
    }
  });

  it('closes a connection with more pipelined requests unanswered than the limit, and handles none past it', async () => {
    const socket = open();
    await connected(socket);
    // 200 requests in one write, as a flood would send them (the answers are read as they come).
    socket.write(HEALTH.repeat(200));
    // Before, all 200 were answered, and a client that read nothing had the node hold every answer.
    await waitUntil(() => socket.closed, 10_000, 'the flooding connection closed');
    const answered = received.get(socket)!.match(/HTTP\/1\.1 200 OK/g)?.length ?? 0;
    expect(answered).toBeLessThanOrEqual(MAX_PIPELINED);
    await waitUntil(async () => (await fetch(`${env.base}/health`)).status === 200, 10_000, 'the node serving others');
  });
});

describe('API request deadline', () => {
  nodeWith({ requestTimeoutSeconds: 1 });

  it('answers 408 and closes a request whose body or headers trickle in, and a connection that sends nothing', async () => {
    const body = open();
    const headers = open();
    const silent = open();
    const answers = [readToClose(body), readToClose(headers), readToClose(silent)];
    await Promise.all([connected(body), connected(headers), connected(silent)]);
    body.write('POST /api HTTP/1.1\r\nHost: telenode\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n');
    headers.write('GET /health HTTP/1.1\r\n');
    // A byte or a header every 200 ms: never idle long enough for an idle timeout, never done.
    const trickle = setInterval(() => {
      if (!body.closed) body.write('a');
      if (!headers.closed) headers.write('X-Slow: 1\r\n');
    }, 200);
    try {
      // Before the limit, such connections were held open for as long as the client kept sending.
      const [bodyAnswer, headersAnswer] = await Promise.race([
        Promise.all(answers),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('connections still open after 20 s')), 20_000)),
      ]);
      expect(bodyAnswer).toMatch(/^HTTP\/1\.1 408 /);
      expect(headersAnswer).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
      for (const s of [body, headers, silent]) s.destroy();
    }
  });

  it('keeps a keep-alive connection that rests between requests for longer than the request deadline', async () => {
    const socket = open();
    try {
      await connected(socket);
      expect(await exchange(socket, HEALTH)).toBe('HTTP/1.1 200 OK');
      const restedFrom = Date.now();
      await waitUntil(() => Date.now() - restedFrom > 2500, 5000, 'a rest of 2.5 s');
      expect(socket.closed).toBe(false);
      expect(await exchange(socket, HEALTH)).toBe('HTTP/1.1 200 OK');
    } finally {
      socket.destroy();
    }
  });
});
