/**
 * What one peer, or many, may hold of the API's listener: the caps of shared/connection-caps.ts, in all and per
 * source address, and a deadline for each request to arrive whole (`requestTimeoutMs`, set on the server in
 * server.ts), after which Node answers 408 and closes the connection. Without them a client that trickled a
 * request's body a byte at a time held its connection for as long as it liked.
 *
 * A connection past a cap is answered `503` with `Retry-After` (RFC 9110 §15.6.4) and closed, whatever it sends.
 * Only closing it would be cheaper, but clients take that badly — Node's own `fetch` waits on such a connection
 * until its own deadline — while a 503 is the "try later" every sender already handles.
 */
import type { Server, Socket } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import { capConnections, type ConnectionCaps } from '../../shared/connection-caps.js';
import type { Logger } from '../../shared/log.js';
import { RefusalLog } from '../../shared/refusal-log.js';

export function limitConnections(server: Server, caps: ConnectionCaps, log: Logger, registry: Registry): void {
  const refusals = new RefusalLog(log, 'HTTP connection refused: connection limit reached');
  const refused = new Counter({
    name: 'telenode_http_connections_refused_total',
    help: 'API connections answered 503 and closed because a connection limit was reached',
    labelNames: ['limit'],
    registers: [registry],
  });
  const open = capConnections(server, caps, (socket, reached) => {
    refused.inc({ limit: reached.cap });
    refusals.note(reached.source, { open: reached.open, fromSource: reached.fromSource, limit: reached.cap });
    refuse(socket);
  });
  new Gauge({
    name: 'telenode_http_connections_open',
    help: 'Connections open to the API',
    registers: [registry],
    collect() {
      this.set(open());
    },
  });
}

const REFUSAL_BODY = 'too many connections; try again later\n';
const REFUSAL =
  'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  `Content-Length: ${REFUSAL_BODY.length}\r\n\r\n${REFUSAL_BODY}`;
/** How long a refused connection may take to read its answer before it is cut. */
const REFUSAL_LINGER_MS = 1000;

function refuse(socket: Socket): void {
  // What the client sends meanwhile is read and dropped: closing with unread data would reset the connection, and a
  // reset can discard the answer before the client reads it.
  socket.resume();
  socket.end(REFUSAL);
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}
