/**
 * The first prompt of a call is made while the caller still hears ringing:
 * with a synthesiser that takes 0.6 s, the caller hears the prompt right
 * after the 200 OK, not 0.6 s of silence first. sipp is the caller, a UDP
 * socket on loopback its audio port.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voiceConfigSchema } from '../../../src/voice/config.js';
import { buildOzml } from '../../../src/voice/ozml/ozml-voice.js';
import { rms } from '../../../src/voice/media/audio-clip.js';
import { decodeG711 } from '../../../src/voice/media/g711.js';
import { silentLogger } from '../../../src/shared/log.js';
import { freeUdpPort, runSipp, sippAvailable } from '../../helpers/sipp.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { startVoiceHarness, type VoiceHarness } from '../../helpers/voice-harness.js';

const SYNTHESIS_MS = 600;
const SLOW_ESPEAK = ['sh', '-c', `sleep ${SYNTHESIS_MS / 1000}; exec espeak-ng -v "$1" -w "$2" -f "$3"`, 'slow-tts', '{voice}', '{out}', '{textFile}'];

describe.skipIf(!sippAvailable())('speech made before answering', () => {
  let h: VoiceHarness;

  beforeAll(async () => {
    h = await startVoiceHarness({}, { ttsCommand: SLOW_ESPEAK });
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function silenceBeforeSpeech(script: string): Promise<number> {
    const file = join(h.dir, `script-${Date.now()}.xml`);
    writeFileSync(file, script);
    const config = voiceConfigSchema.parse({ routes: [{ match: '*', file }] });
    h.handler = buildOzml(config, { storeDir: h.dir, log: silentLogger() }).handler;
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
      const audio = receiver.packets.filter((p) => p.payloadType === 0);
      const firstLoud = audio.findIndex((p) => rms(decodeG711('PCMU', p.payload)) > 500);
      expect(firstLoud, 'the prompt was heard').toBeGreaterThanOrEqual(0);
      return audio[firstLoud]!.at - audio[0]!.at;
    } finally {
      receiver.close();
    }
  }

  it('the first Speak is synthesised while the call rings: no silence after the answer', async () => {
    const silence = await silenceBeforeSpeech(`<Response><Speak>Your payment of ${Date.now() % 1000} euros was received. Goodbye.</Speak><Hangup/></Response>`);
    // Without preparing, the caller heard the whole synthesis time as silence after the 200 OK.
    expect(silence).toBeLessThan(SYNTHESIS_MS / 2);
  });
});
