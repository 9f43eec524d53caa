/**
 * Caps on what peers may hold of a listener: connections open at once in all and from one source address. Without
 * them a client that opens connections and sends nothing holds a descriptor and some memory each for as long as
 * the listener lets it, and enough of them leave the node unable to open a file, socket or database connection of
 * its own. Connections are counted the moment the kernel hands them over — before any of their bytes is read and,
 * on a TLS listener, before the handshake, which a client can leave hanging too — and one past a cap never reaches
 * the listener's own handling: `refuse` gets it instead. A source is an IPv4 address or an IPv6 /64 (source-group.ts).
 */
import type { Server, Socket } from 'node:net';
import { sourceGroup } from './source-group.js';

export interface ConnectionCaps {
  /** Most connections open at once, from all sources. */
  maxConnections: number;
  /** Most connections open at once from one address (an IPv6 /64). */
  maxConnectionsPerSource: number;
}

/** Which cap a refused connection met, and the counts it met. */
export interface CapReached {
  cap: 'total' | 'source';
  /** The address, or for IPv6 its /64. */
  source: string;
  open: number;
  fromSource: number;
}

/** Counts `server`'s connections against `caps`; returns how many are open now. Call before it listens. */
export function capConnections(server: Server, caps: ConnectionCaps, refuse: (socket: Socket, reached: CapReached) => void): () => number {
  const bySource = new Map<string, number>();
  let open = 0;
  // The listener's own handling (http.Server's, tls.Server's, node-smpp's) is a 'connection' listener it added
  // when it was made; a refused connection must not reach it.
  const handle = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const source = sourceGroup(socket.remoteAddress ?? 'unknown');
    const fromSource = bySource.get(source) ?? 0;
    const cap = open >= caps.maxConnections ? 'total' : fromSource >= caps.maxConnectionsPerSource ? 'source' : null;
    if (cap) {
      socket.on('error', () => undefined);
      refuse(socket, { cap, source, open, fromSource });
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
    for (const listener of handle) listener.call(server, socket);
  });
  return () => open;
}
