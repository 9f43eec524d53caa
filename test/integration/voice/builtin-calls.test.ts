/**
 * Calls through the built-in SIP engine with sipp as the far end and our
 * RTP on loopback. The handler of each test plays the part the OzML runtime
 * will: answer, speak, collect digits, hang up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rms } from '../../../src/voice/media/audio-clip.js';
import { freeUdpPort, runSipp, sippAvailable } from '../../helpers/sipp.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { startVoiceHarness, type VoiceHarness } from '../../helpers/voice-harness.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const PROMPT = 'Thank you for your payment. Your receipt number is four seven one one.';

describe.skipIf(!sippAvailable())('built-in SIP engine against sipp', () => {
  let h: VoiceHarness;

  beforeAll(async () => {
    h = await startVoiceHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers a call and sends the spoken prompt as G.711 the caller can decode', async () => {
    const prompt = await h.tts.synthesize(PROMPT);
    h.handler = async (session) => {
      await session.answer();
      await session.speak(PROMPT);
    };
    const receiver = await RtpReceiver.start();
    try {
      const sipp = runSipp({
        scenario: 'uac-listen.xml',
        target: `127.0.0.1:${h.port}`,
        localPort: await freeUdpPort(),
        keys: { rtp_port: receiver.port, caller: '+3612345678', codec: 0 },
        workDir: h.dir,
      });
      const result = await sipp.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      const audio = receiver.audio();
      // The prompt arrives whole (within a frame or two of silence either side) and is speech, not silence.
      expect(audio.length / 8).toBeGreaterThanOrEqual(prompt.durationMs - 40);
      expect(audio.length / 8).toBeLessThan(prompt.durationMs + 1000);
      expect(rms(audio)).toBeGreaterThan(500);
      expect(receiver.packets.every((p) => p.payloadType === 0)).toBe(true);
      const session = h.sessions.at(-1)!;
      expect(session.info.from.user).toBe('+3612345678');
      expect(session.info.from.displayName).toBe('Alice');
      expect(session.info.headers['x-order-id']).toBe('4711');
      expect(session.endReason).toBe('local-hangup');
    } finally {
      receiver.close();
    }
  });
});
