/**
 * Seed 002's script through drachtio-server, when one is reachable (the same
 * environment as drachtio-calls.test.ts: DRACHTIO_HOST, DRACHTIO_SIP, …).
 * The SMS side is a recording sink here; the SMPP path is ozml-daemon.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { voiceConfigSchema } from '../../../src/voice/config.js';
import { buildOzml } from '../../../src/voice/ozml/ozml-voice.js';
import { rms } from '../../../src/voice/media/audio-clip.js';
import { silentLogger } from '../../../src/shared/log.js';
import { freeUdpPort, runSipp, sippAvailable } from '../../helpers/sipp.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { drachtioFromEnv, startDrachtioHarness } from '../../helpers/voice-harness.js';

const SEED_002 = join(import.meta.dirname, '../../fixtures/ozml/seed-002.xml');

describe.skipIf(!drachtioFromEnv() || !sippAvailable())('seed 002 through drachtio-server', () => {
  it('speaks both prompts, sends the SMS and hangs up', async () => {
    const h = await startDrachtioHarness();
    const sent: string[] = [];
    try {
      const config = voiceConfigSchema.parse({ routes: [{ match: '*', file: SEED_002 }] });
      h.handler = buildOzml(config, {
        storeDir: h.dir,
        log: silentLogger(),
        sms: {
          send: async (r) => (sent.push(`${r.recipient}: ${r.text}`), { smsId: '1' }),
          waitForOutcome: async () => 'delivered',
          waitForInbound: async () => null,
        },
      }).handler;
      const receiver = await RtpReceiver.start();
      try {
        const result = await runSipp({
          scenario: 'uac-listen.xml',
          target: h.sipTarget,
          localPort: await freeUdpPort(),
          keys: { caller: '+3612345678', codec: 0, rtp_port: receiver.port },
          workDir: h.dir,
        }).done;
        expect(result.code, result.errors || result.stdout).toBe(0);
        expect(rms(receiver.audio())).toBeGreaterThan(500);
        expect(receiver.audio().length / 8000).toBeGreaterThan(3);
      } finally {
        receiver.close();
      }
      expect(sent).toEqual(['+062554670: Hello! How are you?']);
      expect(h.sessions.at(-1)!.endReason).toBe('local-hangup');
    } finally {
      await h.stop();
    }
  });
});
