/**
 * The built-in SIP engine (npm `sip` + our dialog layer): the shared call
 * scenarios, plus what only this engine does itself — malformed input,
 * REGISTER with digest, and the inbound ACL and digest challenge.
 */
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIPP_SCENARIOS, freeUdpPort, runSipp, sippAvailable } from '../../helpers/sipp.js';
import { startVoiceHarness, type VoiceHarness } from '../../helpers/voice-harness.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';
import { callScenarios } from './call-scenarios.js';

describe.skipIf(!sippAvailable())('built-in SIP engine', () => {
  callScenarios('built-in', () => startVoiceHarness());

  describe('bad input', () => {
    let h: VoiceHarness;
    beforeAll(async () => {
      h = await startVoiceHarness();
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('drops malformed and oversized SIP without harm and answers the next call', async () => {
      const udp = createSocket('udp4');
      const garbage = [
        Buffer.from([0, 1, 2, 3, 0xff, 0xfe]),
        Buffer.from('INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: nonsense\r\n\r\n'),
        Buffer.from('INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\nFrom: <<<\r\nTo: >>>\r\nCall-ID: x\r\nCSeq: banana\r\n\r\n'),
        Buffer.from(`OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKy\r\n${'X-Pad: '.padEnd(60_000, 'a')}\r\n\r\n`),
        Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnothing\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: q\r\nCSeq: 1 INVITE\r\n\r\n'),
      ];
      for (const datagram of garbage) udp.send(datagram, h.port, '127.0.0.1');
      const tcp = connect(h.port, '127.0.0.1');
      tcp.on('error', () => undefined); // the engine may reset the connection once it sees the garbage
      await new Promise((resolve) => tcp.once('connect', resolve));
      tcp.write(`INVITE sip:x SIP/2.0\r\n${'Subject: '.padEnd(40_000, 'z')}\r\n\r\n`);
      tcp.write(Buffer.alloc(2000, 0xff));
      await new Promise((resolve) => setTimeout(resolve, 300));
      udp.close();
      tcp.destroy();
      h.handler = async (session) => {
        await session.answer();
        await session.speak('still here');
      };
      const result = await runSipp({ scenario: 'uac-listen.xml', target: h.sipTarget, localPort: await freeUdpPort(), keys: { caller: '1', codec: 0, rtp_port: 9 }, workDir: h.dir }).done;
      expect(result.code, result.errors || result.stdout).toBe(0);
    });
  });
});

describe.skipIf(!sippAvailable())('built-in SIP engine registering with a registrar', () => {
  it.each([
    ['the right password', 'secret', true],
    ['a wrong password', 'wrong', false],
  ] as const)('REGISTERs with digest credentials (%s)', async (_name, password, expectRegistered) => {
    const sippPort = await freeUdpPort();
    const harnessDir = tempDir();
    const registrar = runSipp({ scenario: 'uas-registrar.xml', localPort: sippPort, keys: { user: '1001', password: 'secret' }, workDir: harnessDir.path });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const h = await startVoiceHarness({
      registrations: [{ registrar: `sip:127.0.0.1:${sippPort}`, aor: null, username: '1001', password, expiresSeconds: 60 }],
    });
    try {
      const result = await registrar.done;
      await waitUntil(() => {
        const r = h.engine.status().registrations[0]!;
        return r.registered || r.lastError !== null;
      }, 5000, 'the registration outcome');
      const status = h.engine.status().registrations[0]!;
      expect(status.registered).toBe(expectRegistered);
      if (expectRegistered) {
        expect(result.code, result.errors || result.stdout).toBe(0);
        expect(status.expiresAt! - Date.now()).toBeGreaterThan(50_000);
        expect(status.aor).toBe('sip:1001@127.0.0.1');
      } else {
        expect(status.lastError).toBe('403 Forbidden');
      }
    } finally {
      registrar.kill();
      await h.stop();
      harnessDir.remove();
    }
  });
});

describe.skipIf(!sippAvailable())('built-in SIP engine inbound policy', () => {
  it('challenges INVITEs with digest and answers the caller that proves the password', async () => {
    const h = await startVoiceHarness({ inbound: { allow: [], auth: { realm: 'telenode', users: [{ username: 'pbx', password: 's3cret' }] } } });
    try {
      h.handler = async (session) => {
        await session.answer();
      };
      const run = async (password: string) =>
        runSipp({ scenario: 'uac-auth.xml', target: h.sipTarget, localPort: await freeUdpPort(), keys: { caller: '1', codec: 0, rtp_port: 9 }, extraArgs: ['-au', 'pbx', '-ap', password], workDir: h.dir, timeoutSeconds: 5 }).done;
      const good = await run('s3cret');
      expect(good.code, good.errors || good.stdout).toBe(0);
      expect(h.sessions).toHaveLength(1);
      const bad = await run('guess');
      expect(bad.code).not.toBe(0); // challenged again, never answered
      expect(h.sessions).toHaveLength(1);
    } finally {
      await h.stop();
    }
  });

  it('refuses callers outside the ACL with 403 and never runs the handler', async () => {
    const h = await startVoiceHarness({ inbound: { allow: ['10.0.0.0/8', '192.168.1.20'], auth: null } });
    try {
      const scenario = join(h.dir, 'uac-reject-403.xml');
      writeFileSync(scenario, readFileSync(join(SIPP_SCENARIOS, 'uac-reject.xml'), 'utf8').replace('STATUS', '403'));
      const result = await runSipp({ scenario, target: h.sipTarget, localPort: await freeUdpPort(), keys: { caller: '1', codec: 0, rtp_port: 9 }, workDir: h.dir }).done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(h.sessions).toHaveLength(0);
    } finally {
      await h.stop();
    }
  });
});

