/**
 * What one peer, or many, may hold of the API's listener. Without a cap a client that opens connections and sends
 * nothing, or trickles a request's body a byte at a time, holds a descriptor and some memory each for as long as it
 * likes; enough of them and the node can open no file, socket or database connection of its own. As the SMPP
 * server and SIP over TCP do: a cap in all and per source address, and a deadline for each request to arrive whole
 * (`requestTimeoutMs`, set on the server in server.ts), after which Node answers 408 and closes the connection.
 *
 * A connection past a cap never reaches the HTTP server: it is answered `503` with `Retry-After` (RFC 9110 §15.6.4)
 * and closed, whatever it sends. Only closing it would be cheaper, but clients take that badly — Node's own `fetch`
 * waits on such a connection until its own deadline — while a 503 is the "try later" every sender already handles.
 */
import type { Server, Socket } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../shared/log.js';
import { RefusalLog } from '../../shared/refusal-log.js';

export interface ConnectionLimits {
  /** Most connections open at once, from all sources. */
  maxConnections: number;
  /** Most connections open at once from one address. */
  maxConnectionsPerSource: number;
}

export function limitConnections(server: Server, limits: ConnectionLimits, log: Logger, registry: Registry): void {
  const bySource = new Map<string, number>();
  let open = 0;
  const refusals = new RefusalLog(log, 'HTTP connection refused: connection limit reached');
  const refused = new Counter({
    name: 'telenode_http_connections_refused_total',
    help: 'API connections answered 503 and closed because a connection limit was reached',
    labelNames: ['limit'],
    registers: [registry],
  });
  new Gauge({
    name: 'telenode_http_connections_open',
    help: 'Connections open to the API',
    registers: [registry],
    collect() {
      this.set(open);
    },
  });

  // http.Server takes each connection in a 'connection' listener of its own; a refused one must not reach it.
  const serve = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const source = socket.remoteAddress ?? 'unknown';
    const fromSource = bySource.get(source) ?? 0;
    const limit = open >= limits.maxConnections ? 'total' : fromSource >= limits.maxConnectionsPerSource ? 'source' : null;
    if (limit) {
      refused.inc({ limit });
      refusals.note(source, { open, fromSource, limit });
      refuse(socket);
      return;
    }
    open++;
    bySource.set(source, fromSource + 1);
    socket.once('close', () => {
      open--;
      const left = (bySource.get(source) ?? 1) - 1;
      if (left === 0) bySource.delete(source);
      else bySource.set(source, left);
    });
    for (const handler of serve) handler.call(server, socket);
  });
}

const REFUSAL_BODY = 'too many connections; try again later\n';
const REFUSAL =
  'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  `Content-Length: ${REFUSAL_BODY.length}\r\n\r\n${REFUSAL_BODY}`;
/** How long a refused connection may take to read its answer before it is cut. */
const REFUSAL_LINGER_MS = 1000;

function refuse(socket: Socket): void {
  socket.on('error', () => undefined);
  // What the client sends meanwhile is read and dropped: closing with unread data would reset the connection, and a
  // reset can discard the answer before the client reads it.
  socket.resume();
  socket.end(REFUSAL);
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}
