/**
 * A voice node's first call: the daemon (as the unit starts it) asks the OzML app what to do, downloads the prompt the
 * app names and plays it. Those requests went through undici, whose HTTP parser is WebAssembly: V8 compiled and tiered
 * it up at the first one, which took ~45 MiB of peak memory (21 MiB kept) and ~60 ms of that first request, while the
 * caller heard silence. They now go over node:http (decision 0127). What a user would see: the call plays the app's
 * prompt, and the node's peak memory (VmHWM) stays close to what it holds afterwards (VmRSS).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioClip, rms } from '../../../src/voice/media/audio-clip.js';
import { encodeWav } from '../../../src/voice/media/wav.js';
import { startDaemonProcess, writeConfig, type DaemonProcess } from '../../helpers/daemon-process.js';
import { OzmlApp } from '../../helpers/ozml-app.js';
import { processMemoryMiB } from '../../helpers/process-memory.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { freeUdpPort, runSipp, sippAvailable } from '../../helpers/sipp.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { unitEnvironment } from '../../helpers/unit-environment.js';

describe.skipIf(!sippAvailable())('a voice node’s first app request and prompt download', () => {
  const dir = tempDir('telenode-app-memory-');
  const app = new OzmlApp();
  const promptGets: string[] = [];
  let prompts: Server;
  let daemon: DaemonProcess | null = null;

  beforeAll(async () => {
    const tone = encodeWav(AudioClip.tone(440, 1500).pcm);
    prompts = createServer((req, res) => {
      promptGets.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': tone.length }).end(tone);
    });
    await new Promise<void>((resolve) => prompts.listen(0, '127.0.0.1', resolve));
    const promptUrl = `http://127.0.0.1:${(prompts.address() as AddressInfo).port}/tone.wav`;
    await app.on('/incoming', `<Response><Play>${promptUrl}</Play><Hangup/></Response>`).start();
    const config = writeConfig(dir.path, {
      http: { host: '127.0.0.1', port: 0 },
      store: { path: `${dir.path}/telenode.db` },
      voice: { builtin: { port: 0 }, routes: [{ match: '*', url: app.url('/incoming') }] },
    });
    // As the unit starts it: its malloc thresholds return freed memory, so a burst shows as a peak above what is held.
    daemon = await startDaemonProcess(config, 40_000, unitEnvironment());
  });
  afterAll(async () => {
    await daemon?.kill('SIGKILL');
    await app.stop();
    await new Promise<void>((resolve) => prompts?.close(() => resolve()));
    dir.remove();
  });

  it('plays the prompt the app names, and peaks at about what the node then holds', async () => {
    const health = (await (await fetch(`${daemon!.base}/health`)).json()) as { voice: { listen: string[] } };
    const sipPort = Number(health.voice.listen[0]!.split(':').at(-1));
    const receiver = await RtpReceiver.start();
    try {
      const result = await runSipp({
        scenario: 'uac-listen.xml',
        target: `127.0.0.1:${sipPort}`,
        localPort: await freeUdpPort(),
        keys: { rtp_port: receiver.port, caller: '100', codec: 0 },
        workDir: dir.path,
      }).done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(app.notifications('IncomingCall')).toHaveLength(1);
      expect(promptGets).toEqual(['/tone.wav']);
      expect(rms(receiver.audio())).toBeGreaterThan(500);
      expect(receiver.audio().length / 8000).toBeGreaterThan(1.2);
    } finally {
      receiver.close();
    }
    const pid = daemon!.child.pid!;
    // Measured: through undici the peak stood 34 MiB above what the node held after the call (164–168 against 130–133,
    // two runs); over node:http 0 (129–131 both).
    expect(processMemoryMiB(pid, 'VmHWM') - processMemoryMiB(pid, 'VmRSS')).toBeLessThan(12);
  });
});
