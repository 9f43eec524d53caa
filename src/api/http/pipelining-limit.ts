/**
 * HTTP/1.1 lets a client send requests without waiting for the answers (RFC 9112 §9.3.2), and Node's server answers
 * them in order, buffering each answer until the ones before it are written — however many there are, and whether or
 * not the client reads them. A client that sends thousands in one write and reads nothing had the node hold all
 * their answers: measured, 20 such connections asking for /metrics took the daemon from 164 to 760 MiB in 20 s and
 * kept growing. Real clients pipeline a few requests at most (browsers and undici not at all by default), so a
 * connection with more than MAX_PIPELINED requests unanswered is closed.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Requests one connection may have received and not yet been answered. */
export const MAX_PIPELINED = 16;

export function limitPipelining(server: Server, onClosed: (socket: Socket) => void): void {
  const unanswered = new WeakMap<Socket, number>();
  // Node parses a whole read's worth of requests at once and emits each, even after the connection was closed in
  // the middle of them: the limit sits in front of the server's own 'request' listener (fastify's), so that what
  // follows a refusal is not handled for nobody.
  const handle = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    if (socket.destroyed) return;
    const count = (unanswered.get(socket) ?? 0) + 1;
    if (count > MAX_PIPELINED) {
      onClosed(socket);
      socket.destroy();
      return;
    }
    unanswered.set(socket, count);
    response.once('close', () => unanswered.set(socket, (unanswered.get(socket) ?? 1) - 1));
    for (const listener of handle) listener.call(server, request, response);
  });
}
