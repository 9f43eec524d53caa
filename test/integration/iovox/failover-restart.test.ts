/**
 * A failover call is not lost when telenode stops mid-call: the daemon is
 * stopped while the callee's phone rings, and the next daemon on the same
 * store calls again and reads the SMS out.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { Daemon } from '../../../src/app/daemon.js';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { rms } from '../../../src/voice/media/audio-clip.js';
import { SmsFailoverRepo } from '../../../src/store/sms-failover-repo.js';
import { TEST_USER } from '../../helpers/in-process-daemon.js';
import { iovoxPayload, iovoxRequest } from '../../helpers/iovox-client.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { freeUdpPort, runSipp, udpPortBound, sippAvailable } from '../../helpers/sipp.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';

const failing = new SmscSimulator({ port: 0, receiptDelayMs: 30, failureRate: 1, log: silentLogger() });
const dir = tempDir('telenode-failover-restart-');
afterAll(async () => {
  await failing.stop();
  dir.remove();
});

describe.skipIf(!sippAvailable())('failover calls across a restart', () => {
  it('a call cut off by a stop is placed again by the next daemon on the same store', async () => {
    const { port: smscPort } = await failing.start();
    const phonePort = await freeUdpPort();
    const config = parseConfig({
      http: { host: '127.0.0.1', port: 0 },
      store: { path: join(dir.path, 'telenode.db'), synchronous: 'NORMAL' },
      users: [{ username: TEST_USER.username, passwordHash: hashPassword(TEST_USER.password) }],
      connectors: [
        { id: 'failing', type: 'smpp', host: '127.0.0.1', port: smscPort, systemId: 'telenode', password: 'pw', reconnect: { initialMs: 100, maxMs: 500 } },
      ],
      voice: { builtin: { port: 0 }, trunks: [{ id: 'default', uri: `sip:127.0.0.1:${phonePort}` }] },
      iovox: {
        failoverLinks: [{ id: '123456', callFlowFile: join(process.cwd(), 'test/fixtures/iovox/sms-read-out.xml'), callerId: '447923221231' }],
        failoverCalls: { ringTimeoutMs: 30_000 },
      },
    });

    // First daemon: the phone rings, nobody answers, and telenode stops.
    const ringing = runSipp({ scenario: 'uas-ring.xml', localPort: phonePort, workDir: dir.path, timeoutSeconds: 60 });
    let first: Daemon | null = await Daemon.start({ config, configSource: 'test', log: silentLogger() });
    let id: string;
    try {
      await waitUntil(() => [...first!.connectors.values()].every((c) => c.isUp()), 10_000, 'bind');
      const reply = await iovoxRequest(
        `http://127.0.0.1:${first.address.port}`,
        iovoxPayload({ origin: '447923221231', destination: '447723443321', message: 'Hello there, my name is John', c2c_failover_link_id: '123456' }),
      );
      expect(reply.httpStatus, reply.xml).toBe(201);
      id = reply.activityId!;
      const repo = new SmsFailoverRepo(first.sql);
      await waitUntil(async () => (await repo.get(id))?.state === 'calling', 10_000, 'the call to ring');
      await new Promise((r) => setTimeout(r, 300));
      const stopping = Date.now();
      await first.stop();
      first = null;
      expect(Date.now() - stopping).toBeLessThan(8000); // a ringing call does not hold shutdown up
    } finally {
      ringing.kill();
      await first?.stop();
    }

    // Second daemon on the same store: the phone answers this time.
    const receiver = await RtpReceiver.start();
    const answering = runSipp({ scenario: 'uas-answer.xml', localPort: phonePort, keys: { rtp_port: receiver.port }, workDir: dir.path });
    await udpPortBound(phonePort);
    const second = await Daemon.start({ config, configSource: 'test', log: silentLogger() });
    try {
      const repo = new SmsFailoverRepo(second.sql);
      const result = await answering.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      await waitUntil(async () => (await repo.get(id))?.state === 'done', 10_000, 'failover done');
      expect((await repo.get(id))!.attempts).toBe(2);
      expect(rms(receiver.audio())).toBeGreaterThan(500);
    } finally {
      answering.kill();
      receiver.close();
      await second.stop();
    }
  });
});
