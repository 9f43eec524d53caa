/**
 * The media worker as a real worker thread: a session's media through it,
 * pacing samples back, what happens when the thread dies (calls end, the next
 * call gets a new worker), and that it never keeps a process alive.
 */
import { spawnSync } from 'node:child_process';
import { getPriority } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../../src/shared/log.js';
import { MediaHost } from '../../../src/voice/media/media-host.js';
import type { PacingBatch } from '../../../src/voice/media/media-protocol.js';
import type { AppError } from '../../../src/shared/errors.js';
import { AudioClip, rms } from '../../../src/voice/media/audio-clip.js';
import { decodeG711, encodeG711 } from '../../../src/voice/media/g711.js';
import { encodeTelephoneEvent } from '../../../src/voice/media/dtmf.js';
import type { PlayOutcome } from '../../../src/voice/media/rtp-session.js';
import { decodeWav } from '../../../src/voice/media/wav.js';
import { rtpPhone, type RtpPhone } from '../../helpers/rtp-phone.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';
import { freeUdpPort, runSipp, sippAvailable } from '../../helpers/sipp.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { startVoiceHarness, type VoiceHarness } from '../../helpers/voice-harness.js';

const SESSION = { law: 'PCMA' as const, payloadType: 8, dtmfPayloadType: 101 };
const files = tempDir();
afterAll(() => files.remove());
const mainNice = getPriority(0);

describe('media host and its worker thread', () => {
  let host: MediaHost;
  let phone: RtpPhone;
  let logLines: string[];

  beforeEach(async () => {
    logLines = [];
    host = new MediaHost(
      { host: '127.0.0.1', portMin: 47000, portMax: 47999, statsIntervalMs: 100 },
      createLogger({ destination: { write: (line: string) => logLines.push(line) } }),
    );
    await host.start();
    phone = await rtpPhone();
  });
  afterEach(async () => {
    await host.stop();
    phone.close();
  });

  it('sends a played clip, latches onto the caller, hears its digits, and hands the recording back after the session closed', async () => {
    const port = await host.bind();
    const session = host.open(port, { ...SESSION, remote: { address: '127.0.0.1', port: 9 }, log: silentLogger() });
    const digits: string[] = [];
    session.onDigit((d) => digits.push(d));
    const recording = join(files.path, 'handed-back.wav');
    session.startRecording(recording);
    const speech = encodeG711('PCMA', AudioClip.tone(300, 100).pcm);
    for (let i = 0; i < 5; i++)
      phone.send({ payloadType: 8, marker: false, sequence: i, timestamp: i * 160, payload: speech.subarray(i * 160, (i + 1) * 160) }, port.port);
    for (const end of [false, true, true, true])
      phone.send(
        { payloadType: 101, marker: false, sequence: 9, timestamp: 5000, payload: encodeTelephoneEvent({ event: 7, end, volume: 10, duration: 160 }) },
        port.port,
      );
    await waitUntil(() => digits.length > 0, 2000, 'the digit');
    expect(session.remoteEndpoint).toEqual({ address: '127.0.0.1', port: phone.port });
    // A re-INVITE that repeats the SDP (a session refresh) keeps the latch.
    session.setRemote({ address: '127.0.0.1', port: 9 });
    expect(session.remoteEndpoint).toEqual({ address: '127.0.0.1', port: phone.port });

    expect(await session.play(AudioClip.tone(440, 300))).toBe('done');
    const tone = () => phone.packets.filter((p) => rms(decodeG711('PCMA', p.payload)) > 1000);
    // 'played' and the last datagram reach this thread by different ways; either may come first.
    await waitUntil(() => tone().length >= 15, 1000, 'the whole clip');
    await new Promise((r) => setTimeout(r, 60));
    expect(tone().length).toBe(15);
    expect(tone().every((p) => p.payloadType === 8)).toBe(true);
    await waitUntil(() => session.counters.sent >= 15, 2000, 'counters from the worker');

    session.close();
    expect(await session.stopRecording()).toEqual({ samples: 800, file: true });
    const pcm = decodeWav(readFileSync(recording)).pcm;
    expect(pcm.length).toBe(800);
    expect(rms(pcm)).toBeGreaterThan(3000);
    expect(digits).toEqual(['7']);
    expect(session.counters.dtmfReceived).toBe(1);
    port.release();
    await waitUntil(() => host.boundPorts === 0, 2000, 'the port released');
  });

  it('settles a clip stopped by its signal at once, without waiting for the worker', async () => {
    const port = await host.bind();
    const session = host.open(port, { ...SESSION, remote: { address: '127.0.0.1', port: phone.port }, log: silentLogger() });
    const stop = new AbortController();
    const outcome = session.play(AudioClip.tone(440, 5000), stop.signal);
    expect(session.playing).toBe(true);
    stop.abort();
    expect(await outcome).toBe('stopped');
    expect(session.playing).toBe(false);
    port.release();
  });

  it("forwards the clock's pacing samples in batches", async () => {
    const batches: PacingBatch[] = [];
    host.onPacing = (batch) => batches.push(batch);
    const port = await host.bind();
    host.open(port, { ...SESSION, remote: { address: '127.0.0.1', port: phone.port }, log: silentLogger() });
    await new Promise((r) => setTimeout(r, 600));
    port.release();
    expect(batches.length).toBeGreaterThanOrEqual(4);
    expect(batches.length).toBeLessThanOrEqual(8);
    const samples = batches.flatMap((b) => [...b.first]);
    expect(samples.length).toBeGreaterThan(20); // one sub-tick per 20 ms for one call
    expect(samples.length).toBeLessThan(40);
    expect(samples.every((ms) => Math.abs(ms) < 100)).toBe(true);
  });

  it('when the worker dies: plays stop, sessions fail with the error logged, and the next bind starts a new worker', async () => {
    const port = await host.bind();
    const session = host.open(port, { ...SESSION, remote: { address: '127.0.0.1', port: phone.port }, log: silentLogger() });
    const failures: AppError[] = [];
    session.onFailure((err) => failures.push(err));
    session.startRecording(join(files.path, 'lost.wav'));
    const playing = session.play(AudioClip.tone(440, 10_000));
    await waitUntil(() => phone.packets.length > 5, 2000, 'media');
    const first = host.thread!;
    await first.terminate();
    expect(await playing).toBe('stopped');
    expect(failures.map((e) => e.code)).toEqual(['TN_ERR_MEDIA_WORKER_FAILED']);
    expect(await session.stopRecording()).toEqual({ samples: 0, file: false });
    expect(host.boundPorts).toBe(0);
    expect(logLines.some((l) => l.includes('media worker died'))).toBe(true);
    const heard = phone.packets.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(phone.packets.length).toBeLessThanOrEqual(heard + 1);

    const again = await host.bind();
    expect(host.thread).not.toBe(first);
    const next = host.open(again, { ...SESSION, remote: { address: '127.0.0.1', port: phone.port }, log: silentLogger() });
    expect(await next.play(AudioClip.tone(440, 100))).toBe('done');
    // A failure listener added to a session that already failed still hears it.
    const late: AppError[] = [];
    session.onFailure((err) => late.push(err));
    await Promise.resolve();
    expect(late).toHaveLength(1);
    again.release();
  });

  it("sets the worker thread's own priority, not the process's", async () => {
    await host.stop();
    logLines = [];
    host = new MediaHost(
      { host: '127.0.0.1', portMin: 47000, portMax: 47999, nice: 5 },
      createLogger({ destination: { write: (line: string) => logLines.push(line) } }),
    );
    await host.start();
    const started = logLines.map((l) => JSON.parse(l) as { msg: string; nice?: number }).find((l) => l.msg === 'media worker started');
    expect(started?.nice).toBe(5);
    expect(getPriority(0)).toBe(mainNice); // this thread keeps its own
  });

  it('refuses ports once stopped', async () => {
    await host.stop();
    expect(host.thread).toBeNull();
    await expect(host.bind()).rejects.toMatchObject({ code: 'TN_ERR_SHUTTING_DOWN' });
  });
});

describe('media worker and process exit', () => {
  it('never keeps a process alive, even when nobody stops it', () => {
    const dir = tempDir();
    try {
      const script = join(dir.path, 'forgotten-host.mts');
      const hostModule = resolve('src/voice/media/media-host.ts');
      const logModule = resolve('src/shared/log.ts');
      writeFileSync(
        script,
        `import { MediaHost } from ${JSON.stringify(hostModule)};
         import { silentLogger } from ${JSON.stringify(logModule)};
         const host = new MediaHost({ host: '127.0.0.1', portMin: 48000, portMax: 48999 }, silentLogger());
         const port = await host.bind();
         host.open(port, { law: 'PCMU', payloadType: 0, dtmfPayloadType: null, remote: { address: '127.0.0.1', port: 9 }, log: silentLogger() });
         console.log('bound', port.port);`,
      );
      const run = spawnSync(process.execPath, ['--import', 'tsx', script], { timeout: 20_000, encoding: 'utf8' });
      expect(run.error).toBeUndefined();
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^bound 48\d\d\d/);
    } finally {
      dir.remove();
    }
  });
});

describe.skipIf(!sippAvailable())('a call whose media worker dies', () => {
  let h: VoiceHarness;
  beforeAll(async () => {
    h = await startVoiceHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('is hung up at once, and the next call gets a new worker and is heard', async () => {
    let outcome: PlayOutcome | null = null;
    h.handler = async (session) => {
      await session.answer();
      outcome = await session.playClip(AudioClip.tone(440, 10_000));
    };
    const receiver = await RtpReceiver.start();
    try {
      const call = runSipp({
        scenario: 'uac-listen.xml',
        target: h.sipTarget,
        localPort: await freeUdpPort(),
        keys: { caller: '1', codec: 0, rtp_port: receiver.port },
        workDir: h.dir,
      });
      await waitUntil(() => receiver.packets.length > 10, 5000, 'the call media');
      const killedAt = Date.now();
      await h.media.thread!.terminate();
      const result = await call.done;
      expect(result.code, result.errors || result.stdout).toBe(0); // sipp got our BYE
      const session = h.sessions.at(-1)!;
      expect(session.endReason).toBe('local-hangup');
      expect(session.endedAt! - killedAt).toBeLessThan(2000);
      await waitUntil(() => outcome !== null, 2000, 'the play to settle');
      expect(outcome).toBe('stopped');
    } finally {
      receiver.close();
    }

    h.handler = async (session) => {
      await session.answer();
      await session.playClip(AudioClip.tone(440, 500));
    };
    const next = await RtpReceiver.start();
    try {
      const result = await runSipp({
        scenario: 'uac-listen.xml',
        target: h.sipTarget,
        localPort: await freeUdpPort(),
        keys: { caller: '1', codec: 0, rtp_port: next.port },
        workDir: h.dir,
      }).done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(rms(next.audio())).toBeGreaterThan(3000);
    } finally {
      next.close();
    }
  });
});

describe.skipIf(!sippAvailable())('the first incoming call of a node', () => {
  let h: VoiceHarness;
  beforeAll(async () => {
    h = await startVoiceHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('starts the media worker while its app is still being asked, not after the answer', async () => {
    expect(h.media.thread).toBeNull(); // a node that has had no call carries no media thread
    let workerBeforeAnswer = false;
    h.handler = async (session) => {
      // The app's lookup: an app that answers only after the worker runs would wait for good if the worker started
      // with the answer (as it did), and the caller then heard 65–77 ms of silence after the app's answer.
      await waitUntil(() => h.media.thread !== null, 10_000, 'the media worker, before the call is answered').then(
        () => (workerBeforeAnswer = true),
        () => undefined,
      );
      await session.answer();
      await session.playClip(AudioClip.tone(440, 500));
    };
    const receiver = await RtpReceiver.start();
    try {
      const result = await runSipp({
        scenario: 'uac-listen.xml',
        target: h.sipTarget,
        localPort: await freeUdpPort(),
        keys: { caller: '1', codec: 0, rtp_port: receiver.port },
        workDir: h.dir,
      }).done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(workerBeforeAnswer).toBe(true);
      expect(rms(receiver.audio())).toBeGreaterThan(3000);
    } finally {
      receiver.close();
    }
  });
});
