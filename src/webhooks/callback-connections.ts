/**
 * Keep-alive HTTP/1.1 connections for callbacks, at most `perOrigin` to each receiver origin, and the exchange of
 * one request for its response's status over them (decision 0129).
 *
 * node:http's client cost ~45 µs of main-thread CPU a callback, three times what writing the request and framing the
 * answer take, and decision 0099 had moved it to a thread of its own, whose isolate is 14–23 MiB of the node's
 * memory. This does what a callback needs and no more: the request goes out in one write, the response is framed by
 * http1-response.ts and its body dropped, and a connection is kept while the server lets it be.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ErrorCode } from '../shared/errors.js';
import { ResponseFramingError, ResponseReader, type CompleteResponse } from '../shared/http1-response.js';

/** A connection that is not up after this long fails the attempt, whatever `timeoutMs` allows (undici's default). */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * An idle kept-alive connection is closed after this long, or a second before the server's own `Keep-Alive:
 * timeout=` (as node's Agent does): a server closes idle connections too — Node's after 5 s — and a request sent on
 * one it has just closed fails (the callback then waits for its back-off).
 */
const IDLE_CONNECTION_MS = 4_000;

export interface CallbackRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Sent as UTF-8 with its Content-Length; null for none. */
  body: string | null;
}

/** The receiver's status, or why there was none; `permanent` when trying again cannot help. */
export type ExchangeOutcome = { status: number; error?: undefined; permanent?: undefined } | { status?: undefined; error: string; permanent?: boolean };

export interface CallbackConnectionsOptions {
  /** Connections to one origin at most; requests beyond wait for one. */
  perOrigin: number;
  /** No answer's head within this time fails the exchange; a body not over this long after its head is cut off. */
  timeoutMs: number;
  /** For a host name: resolves it to the addresses the node may reach on that port (the egress policy's lookup). */
  lookup?: (port: number) => LookupFunction;
}

/** Where an origin's connections go. */
interface Target {
  host: string;
  port: number;
  secure: boolean;
}

interface Origin {
  target: Target;
  /** Idle connections, the most recently used last (the likeliest still open at the server). */
  idle: Connection[];
  /** Every open connection, idle or busy. */
  connections: Set<Connection>;
  waiting: Exchange[];
}

class Exchange {
  connection: Connection | null = null;
  /** The response head has come with this status; the body is being read. */
  status: number | null = null;
  deadline: NodeJS.Timeout | null = null;
  private settled = false;

  constructor(
    readonly bytes: Buffer,
    private readonly resolve: (outcome: ExchangeOutcome) => void,
  ) {}

  settle(outcome: ExchangeOutcome): void {
    if (this.settled) return;
    this.settled = true;
    if (this.deadline) clearTimeout(this.deadline);
    this.resolve(outcome);
  }

  /** What the exchange ends with when its connection goes now: the status, if its head came. */
  cutOff(error: string, permanent = false): ExchangeOutcome {
    if (this.status !== null) return { status: this.status };
    return permanent ? { error, permanent } : { error };
  }
}

class Connection {
  readonly reader: ResponseReader;
  exchange: Exchange | null = null;
  /** The response just completed in this read: whether the connection is kept is decided once the whole read is framed. */
  completed: CompleteResponse | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  gone = false;

  constructor(
    readonly socket: Socket,
    readonly origin: Origin,
    responded: (connection: Connection, response: CompleteResponse) => void,
  ) {
    this.reader = new ResponseReader((response) => responded(this, response));
  }
}

export class CallbackConnections {
  private readonly origins = new Map<string, Origin>();
  private closed = false;

  constructor(private readonly options: CallbackConnectionsOptions) {}

  /** Sends the request and resolves with the response's status (its body is read and dropped). Never rejects. */
  exchange(request: CallbackRequest): Promise<ExchangeOutcome> {
    let bytes: Buffer;
    try {
      bytes = requestBytes(request);
    } catch (err) {
      return Promise.resolve({ error: (err as Error).message, permanent: true });
    }
    return new Promise((resolve) => {
      const exchange = new Exchange(bytes, resolve);
      if (this.closed) return exchange.settle({ error: 'callback sender is closed' });
      const origin = this.originOf(request.url);
      exchange.deadline = setTimeout(() => this.timedOut(exchange, origin), this.options.timeoutMs);
      const idle = origin.idle.pop();
      if (idle) return this.start(idle, exchange);
      if (origin.connections.size < this.options.perOrigin) return this.start(this.connect(origin), exchange);
      origin.waiting.push(exchange);
    });
  }

  /** Closes every connection; exchanges in flight and waiting end as failed attempts (or with their status, if it came). */
  close(): void {
    this.closed = true;
    for (const origin of this.origins.values()) {
      for (const waiting of origin.waiting.splice(0)) waiting.settle({ error: 'callback sender is closed' });
      for (const connection of [...origin.connections]) this.drop(connection, 'callback sender is closed');
    }
  }

  private originOf(url: URL): Origin {
    const key = `${url.protocol}//${url.host}`;
    let origin = this.origins.get(key);
    if (!origin) {
      const secure = url.protocol === 'https:';
      const target = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || (secure ? 443 : 80), secure };
      origin = { target, idle: [], connections: new Set(), waiting: [] };
      this.origins.set(key, origin);
    }
    return origin;
  }

  private start(connection: Connection, exchange: Exchange): void {
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    connection.idleTimer = null;
    connection.exchange = exchange;
    exchange.connection = connection;
    connection.socket.write(exchange.bytes);
  }

  private timedOut(exchange: Exchange, origin: Origin): void {
    const error = `no answer within ${this.options.timeoutMs} ms`;
    const connection = exchange.connection;
    if (connection && connection.exchange === exchange) return this.drop(connection, error);
    const index = origin.waiting.indexOf(exchange);
    if (index >= 0) origin.waiting.splice(index, 1);
    exchange.settle({ error });
  }

  private connect(origin: Origin): Connection {
    const { host, port, secure } = origin.target;
    const lookup = this.options.lookup && !isIP(host) ? { lookup: this.options.lookup(port) } : {};
    const socket: Socket = secure
      ? tlsConnect({ host, port, ...lookup, ...(isIP(host) ? {} : { servername: host }), ALPNProtocols: ['http/1.1'] })
      : netConnect({ host, port, ...lookup });
    socket.setNoDelay(true);
    const connection = new Connection(socket, origin, (from, response) => this.responded(from, response));
    origin.connections.add(connection);
    const connectTimer = setTimeout(
      () => this.drop(connection, `no connection within ${CONNECT_TIMEOUT_MS} ms`),
      Math.min(this.options.timeoutMs, CONNECT_TIMEOUT_MS),
    );
    socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    socket.on('data', (chunk: Buffer) => this.received(connection, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      this.drop(connection, err.code === ErrorCode.EGRESS_DENIED ? err.message : (err.code ?? err.message), err.code === ErrorCode.EGRESS_DENIED);
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      if (connection.exchange && !connection.gone) connection.reader.closed(); // a body that ends with the connection ends here
      this.drop(connection, 'the connection closed before an answer came');
    });
    return connection;
  }

  private received(connection: Connection, chunk: Buffer): void {
    const exchange = connection.exchange;
    if (!exchange) return this.drop(connection, 'bytes nobody asked for'); // an idle connection's server is confused
    try {
      connection.reader.feed(chunk);
    } catch (err) {
      if (!(err instanceof ResponseFramingError)) throw err;
      return this.drop(connection, err.message);
    }
    const completed = connection.completed;
    connection.completed = null;
    if (completed) return this.keepOrDrop(connection, completed);
    if (connection.exchange === exchange && exchange.status === null && connection.reader.status !== null) {
      // The head came: its body gets timeoutMs of its own. A receiver that trickles it must not hold this exchange,
      // and with it one of the origin's connections, for longer.
      exchange.status = connection.reader.status;
      if (exchange.deadline) clearTimeout(exchange.deadline);
      exchange.deadline = setTimeout(() => this.timedOut(exchange, connection.origin), this.options.timeoutMs);
    }
  }

  private responded(connection: Connection, response: CompleteResponse): void {
    const exchange = connection.exchange;
    // A second answer to one request: whatever follows on this connection cannot be told apart from the next one's.
    if (!exchange) return this.drop(connection, 'an answer nobody asked for');
    connection.exchange = null;
    connection.completed = response;
    exchange.settle({ status: response.status });
  }

  /**
   * After a read that completed a response: the connection is kept if the server lets it be and nothing came after
   * the response's end (bytes past it would be read as the next request's answer); then the next waiting exchange
   * takes it, or it rests until the server's or our idle limit.
   */
  private keepOrDrop(connection: Connection, response: CompleteResponse): void {
    if (connection.gone) return;
    const idleMs = Math.min(IDLE_CONNECTION_MS, response.keepAliveMs ?? IDLE_CONNECTION_MS);
    if (!response.keepAlive || idleMs <= 0 || !connection.reader.idle || this.closed) return this.drop(connection, 'not kept');
    const origin = connection.origin;
    const next = origin.waiting.shift();
    if (next) return this.start(connection, next);
    connection.idleTimer = setTimeout(() => this.drop(connection, 'idle'), idleMs);
    connection.idleTimer.unref();
    origin.idle.push(connection);
  }

  /** The connection is closed; its exchange, if any, ends with what it has (its status, or `error`). */
  private drop(connection: Connection, error: string, permanent = false): void {
    if (connection.gone) return;
    connection.gone = true;
    const origin = connection.origin;
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    const index = origin.idle.indexOf(connection);
    if (index >= 0) origin.idle.splice(index, 1);
    connection.socket.destroy();
    origin.connections.delete(connection);
    const exchange = connection.exchange;
    connection.exchange = null;
    exchange?.settle(exchange.cutOff(error, permanent));
    // Its place is free: an exchange waiting for one opens a connection of its own.
    const next = origin.waiting.shift();
    if (next && !this.closed) this.start(this.connect(origin), next);
  }
}

/** The request's bytes: request line, Host, the headers, Content-Length, the body (RFC 9112 §3, §6.2). */
function requestBytes({ url, method, headers, body }: CallbackRequest): Buffer {
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  const fields = { ...headers };
  const hasAuthorization = Object.keys(fields).some((name) => name.toLowerCase() === 'authorization');
  if ((url.username || url.password) && !hasAuthorization) {
    // Credentials in the URL, as node:http sends them (RFC 7617).
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    fields['Authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  for (const [name, value] of Object.entries(fields)) {
    // As node:http refuses them: a name that is not an RFC 9110 §5.1 token, a value with CR, LF or NUL.
    try {
      validateHeaderName(name);
    } catch {
      throw new Error(`invalid header name ${JSON.stringify(name.slice(0, 40))}`);
    }
    try {
      validateHeaderValue(name, value);
    } catch {
      throw new Error(`invalid character in the value of header ${name}`);
    }
    if (/^(?:host|content-length|transfer-encoding|connection)$/i.test(name)) continue; // framing is ours
    head += `${name}: ${value}\r\n`;
  }
  if (body === null) return Buffer.from(`${head}\r\n`, 'latin1');
  const payload = Buffer.from(body);
  const headBytes = Buffer.from(`${head}Content-Length: ${payload.length}\r\n\r\n`, 'latin1');
  return Buffer.concat([headBytes, payload], headBytes.length + payload.length);
}
