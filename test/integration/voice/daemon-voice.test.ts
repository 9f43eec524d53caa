/** The daemon on its embedded defaults answers calls with no other server, and reports its SIP state. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rms } from '../../../src/voice/media/audio-clip.js';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { freeUdpPort, runSipp, sippAvailable } from '../../helpers/sipp.js';

describe.skipIf(!sippAvailable())('daemon voice on embedded defaults', () => {
  let d: Awaited<ReturnType<typeof startDaemon>>;
  beforeAll(async () => {
    d = await startDaemon({ voice: { builtin: { port: 0 }, greeting: 'Welcome to telenode.' } });
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('answers a call with the spoken greeting and hangs up', async () => {
    const sipPort = Number(d.daemon.voice!.engine.status().listen[0]!.split(':').at(-1));
    const receiver = await RtpReceiver.start();
    try {
      const run = runSipp({
        scenario: 'uac-listen.xml',
        target: `127.0.0.1:${sipPort}`,
        localPort: await freeUdpPort(),
        keys: { rtp_port: receiver.port, caller: '100', codec: 8 },
        workDir: d.dir,
      });
      const result = await run.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(receiver.packets.every((p) => p.payloadType === 8)).toBe(true); // the caller preferred PCMA
      expect(rms(receiver.audio())).toBeGreaterThan(500);
      expect(receiver.audio().length / 8000).toBeGreaterThan(0.8);
    } finally {
      receiver.close();
    }
  });

  it('shows the SIP engine in /health', async () => {
    const health = (await (await fetch(`${d.base}/health`)).json()) as { voice: { engine: string; up: boolean; listen: string[]; activeCalls: number } };
    expect(health.voice.engine).toBe('builtin');
    expect(health.voice.up).toBe(true);
    expect(health.voice.listen).toHaveLength(2);
    expect(health.voice.activeCalls).toBe(0);
  });
});
