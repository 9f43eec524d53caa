/**
 * telenode's SMPP server over TLS (`smppServer.tls`), with the `smpp` package's client: a client that trusts the
 * server's certificate binds and submits; a connection that never finishes its handshake is closed by the bind's
 * deadline, not left to Node's two minutes; and connections still in their handshake count against the
 * connection caps, so that they cannot be used to hold the node's descriptors past them.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { encodeGsm7 } from '../../../src/sms/encoding/index.js';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { loopbackCertificate } from '../../helpers/loopback-certificate.js';
import { SmppTestClient } from '../../helpers/smpp-client.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';

const CRM = { username: 'crm', password: 'crm-secret' };
const certs = tempDir();
const carrier = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 50, log: silentLogger() });
let carrierPort = 0;
let env: Awaited<ReturnType<typeof startDaemon>>;
let port = 0;
let ca: Buffer;
let keyPath = '';
let certPath = '';
const opened: Array<SmppTestClient | Socket> = [];

beforeAll(async () => {
  const server = loopbackCertificate(certs.path, 'telenode.test');
  keyPath = server.keyPath;
  certPath = server.certPath;
  ca = server.cert;
  carrierPort = (await carrier.start()).port;
});
afterAll(async () => {
  await carrier.stop();
  certs.remove();
});

/** A node whose SMPP server speaks TLS, with these settings of its own, for the tests of one describe block. */
function nodeWith(smppServer: Record<string, unknown>): void {
  beforeAll(async () => {
    env = await startDaemon({
      users: [{ username: CRM.username, passwordHash: hashPassword(CRM.password), smpp: { maxBinds: 5 } }],
      connectors: [{ id: 'carrier', type: 'smpp', host: '127.0.0.1', port: carrierPort, systemId: 'telenode', password: 'pw' }],
      smppServer: {
        host: '127.0.0.1',
        port: 0,
        tls: { key: keyPath, cert: certPath },
        ...smppServer,
      },
    });
    port = env.daemon.smppServer!.port;
    await waitUntil(() => env.daemon.connectors.get('carrier')!.isUp(), 10_000, 'carrier bind');
  });
  afterAll(async () => {
    for (const c of opened.splice(0)) (c instanceof SmppTestClient ? c.session : c).destroy();
    await env?.stop();
  });
}

/** A TCP connection that never starts its TLS handshake. */
function silentConnection(): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume();
  opened.push(socket);
  return new Promise((resolve) => socket.once('connect', () => resolve(socket)));
}

async function tlsClient(localAddress?: string): Promise<SmppTestClient> {
  const client = await SmppTestClient.connect(port, { tls: { ca }, ...(localAddress ? { localAddress } : {}) });
  opened.push(client);
  return client;
}

describe('SMPP server over TLS', () => {
  // The default bind deadline (30 s): the connections held here stay open while the test uses them.
  nodeWith({ maxConnections: 10, maxConnectionsPerSource: 3 });

  it('binds a client that trusts its certificate and stores what it submits', async () => {
    const client = await tlsClient();
    expect(await client.bind('transceiver', CRM.username, CRM.password)).toBe(0);
    const resp = await client.submit({ destination_addr: '+36101230001', short_message: encodeGsm7('over TLS') });
    expect(resp.command_status).toBe(0);
    await waitUntil(() => carrier.received.some((m) => m.text === 'over TLS'), 10_000, 'the message at the carrier');
    client.session.destroy();
  });

  it('counts connections still in their handshake against the per-address cap', async () => {
    await waitUntil(() => env.daemon.smppServer!.status().binds['crm'] === undefined, 5000, 'the last test’s client gone');
    const silent = await Promise.all([silentConnection(), silentConnection(), silentConnection()]);
    // A fourth connection from the same address is closed at once, handshake or not; another address is served.
    await expect(tlsClient()).rejects.toThrow();
    const other = await tlsClient('127.0.0.2');
    expect(await other.bind('transceiver', CRM.username, CRM.password)).toBe(0);
    expect(silent.every((s) => !s.closed)).toBe(true);
  });
});

describe('SMPP server over TLS, a handshake never finished', () => {
  nodeWith({ bindTimeoutSeconds: 1 });

  it('closes the connection at the bind deadline', async () => {
    const socket = await silentConnection();
    // Before, Node's own handshake timeout held it for 120 s.
    await waitUntil(() => socket.closed, 20_000, 'the silent connection closed');
  });
});
