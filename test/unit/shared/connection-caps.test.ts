/** Per-source connection caps count an IPv6 client by its /64, an IPv4 one by its address (either way it connects). */
import { EventEmitter } from 'node:events';
import { Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { capConnections, type CapReached } from '../../../src/shared/connection-caps.js';
import { sourceGroup } from '../../../src/shared/source-group.js';

/** A connection as the listener sees it: only its address and its close matter here. */
function connection(remoteAddress: string): Socket {
  return Object.assign(new EventEmitter(), { remoteAddress }) as unknown as Socket;
}

describe('capConnections', () => {
  it('counts the addresses of one IPv6 /64 as one source, and v4-mapped with plain IPv4', () => {
    const server = new Server();
    const accepted: string[] = [];
    server.on('connection', (socket: Socket) => accepted.push(socket.remoteAddress!));
    const refused: CapReached[] = [];
    capConnections(server, { maxConnections: 100, maxConnectionsPerSource: 2 }, (_socket, reached) => refused.push(reached));
    for (const address of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3', '2001:db8:1:3::1', '192.0.2.1', '::ffff:192.0.2.1', '192.0.2.1'])
      server.emit('connection', connection(address));
    expect(accepted).toEqual(['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:3::1', '192.0.2.1', '::ffff:192.0.2.1']);
    expect(refused.map((r) => [r.cap, r.source])).toEqual([
      ['source', '2001:db8:1:2::/64'],
      ['source', '192.0.2.1'],
    ]);
  });
});

describe('sourceGroup', () => {
  it('is an IPv4 address as it is, an IPv6 address its /64 however written, a NAT64 host on its own', () => {
    expect(sourceGroup('192.0.2.1')).toBe('192.0.2.1');
    expect(sourceGroup('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(sourceGroup('2001:0db8:0001:0002:0:0:0:abcd')).toBe('2001:db8:1:2::/64');
    expect(sourceGroup('2001:db8:1:2::')).toBe('2001:db8:1:2::/64');
    expect(sourceGroup('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceGroup('64:ff9b::198.51.100.1')).not.toBe(sourceGroup('64:ff9b::198.51.100.2'));
    expect(sourceGroup('unknown')).toBe('unknown');
  });
});
