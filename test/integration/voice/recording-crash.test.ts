/**
 * A voicemail a crash cut short is kept, and the app told: the daemon (dist/, as the unit runs it) records a caller
 * who talks, is SIGKILLed once two seconds of the recording are on disk, and at its next start finishes the recording
 * the worker left as `<name>.wav.part`, which then holds the caller's speech up to the crash, and sends the
 * RecordCompleted its FinishedUrl was promised (FinishReason `interrupted`), through the callback outbox.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rms } from '../../../src/voice/media/audio-clip.js';
import { decodeWav } from '../../../src/voice/media/wav.js';
import { startDaemonProcess, writeConfig, type DaemonProcess } from '../../helpers/daemon-process.js';
import { OzmlApp } from '../../helpers/ozml-app.js';
import { freeUdpPort, runSipp, sippAvailable, SIPP_PCAPS } from '../../helpers/sipp.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';

describe.skipIf(!sippAvailable())('a recording cut short by a crash', () => {
  const dir = tempDir('telenode-recording-crash-');
  const recordings = join(dir.path, 'recordings');
  const app = new OzmlApp();
  let daemon: DaemonProcess | null = null;

  afterAll(async () => {
    await daemon?.kill('SIGKILL');
    await app.stop();
    dir.remove();
  });

  const files = (suffix: string) => {
    try {
      return readdirSync(recordings).filter((name) => name.endsWith(suffix));
    } catch {
      return [];
    }
  };

  it('is finished at the next start with the speech recorded until the SIGKILL, and its RecordCompleted sent', async () => {
    await app.start();
    app.on('/incoming', `<Response><Record Duration="60" FinishedUrl="${app.url('/recorded')}?file=$RecordURL"/></Response>`).on('/recorded', '');
    const config = writeConfig(dir.path, {
      http: { host: '127.0.0.1', port: 0 },
      store: { path: join(dir.path, 'telenode.db') },
      voice: { builtin: { port: 0 }, routes: [{ match: '*', url: app.url('/incoming') }] },
    });
    daemon = await startDaemonProcess(config);
    // The caller talks for 7 s (G.711 A-law speech) and would hang up after; the node dies first.
    const sipp = runSipp({
      scenario: 'uac-talk.xml',
      target: `127.0.0.1:${daemon.sipPort}`,
      localPort: await freeUdpPort(),
      keys: { caller: '+3630444', codec: 8, rtp_port: await freeUdpPort() },
      workDir: dir.path,
      cwd: SIPP_PCAPS,
    });
    try {
      const onDisk = () => files('.wav.part').some((name) => statSync(join(recordings, name)).size >= 44 + 2 * 16_000);
      await waitUntil(onDisk, 30_000, 'two seconds of the recording on disk');
      await daemon.kill('SIGKILL');
    } finally {
      sipp.kill();
    }
    expect(files('.wav')).toEqual([]);
    expect(files('.wav.notify')).toHaveLength(1); // the promise, on disk since the recording started
    expect(app.notifications('RecordCompleted')).toEqual([]);

    daemon = await startDaemonProcess(config);
    expect(files('.wav.part')).toEqual([]);
    const [name] = files('.wav');
    expect(name).toMatch(/^[0-9a-f-]+-\d+\.wav$/);
    const pcm = decodeWav(readFileSync(join(recordings, name!))).pcm;
    expect(pcm.length / 8000).toBeGreaterThanOrEqual(2);
    expect(rms(pcm)).toBeGreaterThan(300);
    expect(daemon.logs.some((line) => line.includes('a recording cut short by a stop or crash was finished'))).toBe(true);

    await waitUntil(() => app.notifications('RecordCompleted').length > 0, 15_000, 'the RecordCompleted of the cut-short recording');
    const [told] = app.notifications('RecordCompleted');
    expect(told).toMatchObject({
      RecordURL: `recordings/${name}`,
      FinishReason: 'interrupted',
      FinishDigit: '',
      Format: 'wav',
      Caller: '+3630444',
      CallId: name!.replace(/-\d+\.wav$/, ''),
    });
    expect(Number(told!['Duration'])).toBeCloseTo(pcm.length / 8000, 1);
    // Its URL named the recording ($RecordURL), as it would have had the call gone on.
    expect(app.requests.find((r) => r.path === '/recorded')?.url).toBe(`/recorded?file=${encodeURIComponent(`recordings/${name}`)}`);
    await waitUntil(() => files('.wav.notify').length === 0, 5000, 'the promise to be dropped');
    expect(app.notifications('RecordCompleted')).toHaveLength(1);
  });
});
