/** Starts a Daemon in this process on an ephemeral port with a temp store. */
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/app/daemon.js';
import { silentLogger, type Logger } from '../../src/shared/log.js';
import { hashPassword } from '../../src/shared/password-hash.js';
import { tempDir } from './temp-dir.js';
import { TEST_USER } from './test-user.js';
import { TEST_PORT_RANGE, freeTcpPort, rtpPortRange } from './ports.js';
import type { SmppConnector } from '../../src/sms/connectors/smpp/smpp-connector.js';

export { TEST_USER };
const TEST_HASH = hashPassword(TEST_USER.password);

export async function startDaemon(
  overrides: Record<string, unknown> = {},
  options: { log?: Logger } = {},
): Promise<{
  daemon: Daemon;
  base: string;
  dir: string;
  stop: () => Promise<void>;
}> {
  const dir = tempDir();
  // With TELENODE_TEST_PORTS the daemon's own ports come from that range too (test/helpers/ports.ts).
  const rtp = rtpPortRange();
  if (rtp && overrides['voice'] !== undefined) {
    const voice = overrides['voice'] as Record<string, unknown>;
    overrides = { ...overrides, voice: { ...voice, rtp: { ...rtp, ...(voice['rtp'] as object | undefined) } } };
  }
  const config = parseConfig({
    http: { host: '127.0.0.1', port: TEST_PORT_RANGE ? await freeTcpPort() : 0 },
    users: [{ username: TEST_USER.username, passwordHash: TEST_HASH }],
    webhooks: { backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 } },
    // Tests run in parallel: never the fixed SIP port 5060.
    voice: { builtin: { port: 0 }, ...(rtp ? { rtp } : {}) },
    // Receivers and apps in tests listen on loopback, which the egress policy denies by default.
    egress: { allow: ['127.0.0.0/8'] },
    ...overrides,
    // A store override keeps the temp folder as the node's data folder (a PostgreSQL node still keeps files there).
    store: { path: join(dir.path, 'telenode.db'), synchronous: 'NORMAL', ...(overrides['store'] as Record<string, unknown> | undefined) },
  });
  const daemon = await Daemon.start({ config, configSource: 'test', log: options.log ?? silentLogger() });
  return {
    daemon,
    base: `http://127.0.0.1:${daemon.address.port}`,
    dir: dir.path,
    stop: async () => {
      await daemon.stop();
      dir.remove();
    },
  };
}

/** How many of an SMPP connector's binds are bound on this node now (the cluster tests: which node holds which). */
export function boundBinds(node: { daemon: Daemon }, connectorId: string): number {
  return (node.daemon.connectors.get(connectorId) as SmppConnector).status().binds.filter((b) => b.state === 'bound').length;
}
