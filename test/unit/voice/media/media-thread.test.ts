/**
 * The media worker's work, run in-process (no thread): ports, a call's RTP
 * out and in, and what goes back to the main thread, with a UDP socket on
 * loopback as the phone.
 */
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MediaThread } from '../../../../src/voice/media/media-thread.js';
import type { StreamOptions, WorkerMessage } from '../../../../src/voice/media/media-protocol.js';
import { AudioClip, rms } from '../../../../src/voice/media/audio-clip.js';
import { decodeTelephoneEvent, encodeTelephoneEvent } from '../../../../src/voice/media/dtmf.js';
import { decodeG711, encodeG711 } from '../../../../src/voice/media/g711.js';
import { decodeWav } from '../../../../src/voice/media/wav.js';
import { tempDir, waitUntil } from '../../../helpers/temp-dir.js';
import { rtpPhone, type RtpPhone } from '../../../helpers/rtp-phone.js';

const files = tempDir();
afterAll(() => files.remove());
let recordings = 0;
/** Where a test's recording goes: the worker writes it there as the audio comes. */
const recordingPath = () => join(files.path, `recording-${++recordings}.wav`);

describe('media thread (the worker, in-process)', () => {
  let messages: WorkerMessage[];
  let thread: MediaThread;
  let far: RtpPhone;
  let nextId = 1;

  beforeEach(async () => {
    messages = [];
    thread = new MediaThread({ host: '127.0.0.1', portMin: 46000, portMax: 46999, statsIntervalMs: 100, nice: 0 }, (m) => messages.push(m));
    far = await rtpPhone();
  });
  afterEach(() => {
    thread.stop();
    far.close();
  });

  function seen<E extends WorkerMessage['ev']>(ev: E, id?: number): Extract<WorkerMessage, { ev: E }>[] {
    return messages.filter((m): m is Extract<WorkerMessage, { ev: E }> => m.ev === ev && (id === undefined || ('id' in m && m.id === id)));
  }

  /** Ask for the recording's end and wait for the worker's answer, once its file is complete. */
  async function stopRecording(id: number, request: number): Promise<Extract<WorkerMessage, { ev: 'recording' }>> {
    thread.handle({ op: 'stopRecording', id, request });
    await waitUntil(() => seen('recording', id).length > 0, 5000, 'the recording written');
    return seen('recording', id)[0]!;
  }

  async function bind(): Promise<{ id: number; port: number }> {
    const id = nextId++;
    thread.handle({ op: 'bind', id });
    await waitUntil(() => seen('bound', id).length + seen('bindFailed', id).length > 0, 2000, 'bind');
    const bound = seen('bound', id)[0];
    if (!bound) throw new Error(seen('bindFailed', id)[0]!.message);
    return bound;
  }

  async function open(overrides: Partial<StreamOptions> = {}): Promise<{ id: number; port: number }> {
    const bound = await bind();
    thread.handle({
      op: 'open',
      id: bound.id,
      options: {
        remote: { address: '127.0.0.1', port: far.port },
        law: 'PCMU',
        payloadType: 0,
        dtmfPayloadType: 101,
        sending: true,
        callerHosts: [],
        ...overrides,
      },
    });
    return bound;
  }

  it('binds even ports of the range, a different one per call, and frees them on release', async () => {
    const a = await bind();
    const b = await bind();
    expect(a.port % 2).toBe(0);
    expect(b.port % 2).toBe(0);
    expect(a.port).not.toBe(b.port);
    expect(a.port).toBeGreaterThanOrEqual(46000);
    thread.handle({ op: 'release', id: a.id });
    expect(seen('released', a.id)).toHaveLength(1);
    // The port is free again: a socket of our own can take it.
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(a.port, '127.0.0.1', resolve);
    });
    probe.close();
  });

  it('answers requests about a released port, so the main thread never waits for them', async () => {
    const { id } = await open();
    thread.handle({ op: 'release', id });
    thread.handle({ op: 'sendDigits', id, request: 5, events: [1] });
    thread.handle({ op: 'stopRecording', id, request: 6 });
    expect(seen('digitsSent', id)).toEqual([{ ev: 'digitsSent', id, request: 5 }]);
    expect(seen('recording', id)).toEqual([{ ev: 'recording', id, request: 6, samples: 0, file: false, error: null }]);
  });

  it('plays a clip as 20 ms G.711 frames with consecutive sequence numbers and timestamps, then silence, and reports it played', async () => {
    const { id } = await open();
    const tone = AudioClip.tone(440, 200);
    thread.handle({ op: 'play', id, clip: 1, payload: tone.encodedAs('PCMU') });
    await waitUntil(() => seen('played', id).length === 1, 2000, 'played');
    await waitUntil(() => far.packets.length >= 15, 2000, 'silence after the clip');
    const first = far.packets.findIndex((p) => rms(decodeG711('PCMU', p.payload)) > 1000);
    const clip = far.packets.slice(first, first + 10);
    expect(clip.every((p) => p.payloadType === 0 && p.payload.length === 160)).toBe(true);
    expect(clip.every((p) => rms(decodeG711('PCMU', p.payload)) > 1000)).toBe(true);
    expect(rms(decodeG711('PCMU', far.packets[first + 10]!.payload))).toBe(0);
    for (let i = 1; i < far.packets.length; i++) {
      expect(far.packets[i]!.sequence).toBe((far.packets[i - 1]!.sequence + 1) & 0xffff);
      expect(far.packets[i]!.timestamp).toBe((far.packets[i - 1]!.timestamp + 160) >>> 0);
    }
    // Paced, not a burst: 14 frame intervals take about 280 ms.
    const span = far.packets[14]!.at - far.packets[0]!.at;
    expect(span).toBeGreaterThan(240);
    expect(span).toBeLessThan(400);
  });

  it('drops a cancelled clip and everything on stopPlayback, without reporting them played', async () => {
    const { id } = await open();
    const tone = AudioClip.tone(440, 1000).encodedAs('PCMU');
    thread.handle({ op: 'play', id, clip: 1, payload: tone });
    thread.handle({ op: 'play', id, clip: 2, payload: tone });
    thread.handle({ op: 'cancel', id, clip: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    thread.handle({ op: 'stopPlayback', id });
    const before = far.packets.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(far.packets.slice(before + 2).every((p) => rms(decodeG711('PCMU', p.payload)) === 0)).toBe(true);
    expect(seen('played', id)).toHaveLength(0);
  });

  it('sends digits as RFC 4733 events (5 frames each, the end packet three times) and reports them sent', async () => {
    const { id } = await open();
    thread.handle({ op: 'sendDigits', id, request: 9, events: [1, 11] });
    await waitUntil(() => seen('digitsSent', id).length === 1, 2000, 'digits sent');
    expect(seen('digitsSent', id)[0]!.request).toBe(9);
    // "Sent" is reported when the last packet leaves; on a loaded machine the
    // phone's socket may not have read them all yet.
    const dtmf = (): typeof far.packets => far.packets.filter((p) => p.payloadType === 101);
    await waitUntil(() => dtmf().length >= 14, 2000, 'all 14 event packets at the phone');
    const events = dtmf();
    expect(events).toHaveLength(14);
    for (const [digit, packets] of [
      [1, events.slice(0, 7)],
      [11, events.slice(7)],
    ] as const) {
      const decoded = packets.map((p) => decodeTelephoneEvent(p.payload)!);
      expect(decoded.every((e) => e.event === digit)).toBe(true);
      expect(decoded.map((e) => e.end)).toEqual([false, false, false, false, true, true, true]);
      expect(decoded.at(-1)!.duration).toBe(800);
      expect(new Set(packets.map((p) => p.timestamp)).size).toBe(1);
      expect(packets[0]!.marker).toBe(true);
    }
    expect(events[7]!.timestamp).toBe((events[0]!.timestamp + 800) >>> 0);
  });

  it("hears the caller's digits once each, latches onto the address they come from, and records the caller's audio", async () => {
    const { id, port } = await open({ remote: { address: '127.0.0.1', port: 9 } });
    const path = recordingPath();
    thread.handle({ op: 'startRecording', id, request: 0, path, silenceMs: null });
    const speech = encodeG711('PCMU', AudioClip.tone(300, 100).pcm);
    for (let i = 0; i < 5; i++)
      far.send({ payloadType: 0, marker: false, sequence: i, timestamp: i * 160, payload: speech.subarray(i * 160, (i + 1) * 160) }, port);
    for (const end of [false, false, true, true, true])
      far.send(
        { payloadType: 101, marker: false, sequence: 9, timestamp: 5000, payload: encodeTelephoneEvent({ event: 5, end, volume: 10, duration: 160 }) },
        port,
      );
    await waitUntil(() => seen('digit', id).length === 1, 2000, 'the digit');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen('digit', id).map((m) => m.digit)).toEqual(['5']);
    expect(seen('latched', id)).toEqual([{ ev: 'latched', id, remote: { address: '127.0.0.1', port: far.port } }]);
    await waitUntil(() => far.packets.length > 0, 2000, 'our RTP at the latched address');
    const recording = await stopRecording(id, 3);
    expect(recording).toMatchObject({ request: 3, samples: 800, file: true, error: null });
    const pcm = decodeWav(readFileSync(path)).pcm;
    expect(pcm.length).toBe(800);
    expect(rms(pcm)).toBeGreaterThan(3000);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  /** One RFC 4733 digit as a phone sends it: two packets of tone, then the end packet three times. */
  async function keyIn(phone: RtpPhone, port: number, event: number, timestamp: number): Promise<void> {
    for (const end of [false, false, true, true, true])
      await phone.sent(
        { payloadType: 101, marker: false, sequence: timestamp & 0xffff, timestamp, payload: encodeTelephoneEvent({ event, end, volume: 10, duration: 160 }) },
        port,
      );
  }

  describe("whose RTP a call takes (a stranger on 127.0.0.2 reaches the call's port)", () => {
    let stranger: RtpPhone;
    beforeEach(async () => {
      stranger = await rtpPhone('127.0.0.2');
    });
    afterEach(() => stranger.close());

    const speech = encodeG711('PCMU', AudioClip.tone(300, 100).pcm);
    const talk = (phone: RtpPhone, port: number, from: number) =>
      Promise.all(
        [0, 1, 2, 3, 4].map((i) =>
          phone.sent(
            { payloadType: 0, marker: false, sequence: from + i, timestamp: (from + i) * 160, payload: speech.subarray(i * 160, (i + 1) * 160) },
            port,
          ),
        ),
      );

    it("drops a stranger's audio and digits before the caller's first packet and after it, sends it nothing, and says so once", async () => {
      const { id, port } = await open();
      const path = recordingPath();
      thread.handle({ op: 'startRecording', id, request: 0, path, silenceMs: null });
      await talk(stranger, port, 0);
      await keyIn(stranger, port, 9, 1000);
      // The caller's digit is read after the stranger's packets (loopback queues them in send order).
      await keyIn(far, port, 5, 2000);
      await waitUntil(() => seen('digit', id).length === 1, 2000, "the caller's digit");
      await keyIn(stranger, port, 8, 3000);
      await talk(stranger, port, 10);
      await keyIn(far, port, 6, 4000);
      await waitUntil(() => seen('digit', id).length === 2, 2000, "the caller's second digit");
      expect(seen('digit', id).map((m) => m.digit)).toEqual(['5', '6']);
      expect(seen('latched', id)).toEqual([]);
      const warnings = seen('warn', id);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toBe('RTP from outside the call dropped');
      expect(warnings[0]!.details.from).toBe(`127.0.0.2:${stranger.port}`);
      // 5 + 5 audio and 2 × 5 digit packets: every one the stranger sent.
      await waitUntil(() => seen('stats').some((m) => m.counters[0] === id && m.counters[3] === 20), 2000, 'the drops counted');
      await waitUntil(() => far.packets.length >= 5, 2000, 'our RTP at the caller');
      expect(stranger.packets).toHaveLength(0);
      expect((await stopRecording(id, 1)).samples).toBe(0);
      expect(decodeWav(readFileSync(path)).pcm.length).toBe(0);
    });

    it('latches onto a caller behind NAT at the host its SIP came from, and keeps the latch when a re-INVITE repeats the SDP', async () => {
      const sdp = { address: '127.0.0.9', port: 4000 };
      const { id, port } = await open({ remote: sdp, callerHosts: ['127.0.0.1'] });
      await talk(far, port, 0);
      await waitUntil(() => seen('latched', id).length === 1, 2000, 'the latch');
      expect(seen('latched', id)[0]!.remote).toEqual({ address: '127.0.0.1', port: far.port });
      await waitUntil(() => far.packets.length >= 3, 2000, 'our RTP at the latched address');
      thread.handle({ op: 'setRemote', id, remote: { ...sdp } });
      const before = far.packets.length;
      await waitUntil(() => far.packets.length >= before + 5, 2000, 'our RTP still at the latched address');
      // A stranger is still a stranger once the call has latched.
      await keyIn(stranger, port, 9, 1000);
      await keyIn(far, port, 3, 2000);
      await waitUntil(() => seen('digit', id).length === 1, 2000, "the caller's digit");
      expect(seen('digit', id)[0]!.digit).toBe('3');
    });

    it("hears no host but the SDP's when the call names no other, and with acceptFrom any-host, as before: latches onto anyone, hears everyone", async () => {
      const strict = await open({ remote: { address: '127.0.0.9', port: 4000 } });
      await keyIn(far, strict.port, 4, 1000);
      await waitUntil(() => seen('warn', strict.id).length === 1, 2000, 'the drop reported');
      expect(seen('latched', strict.id)).toEqual([]);

      const open_ = await open({ remote: { address: '127.0.0.9', port: 4000 }, callerHosts: null });
      await keyIn(stranger, open_.port, 4, 1000);
      await waitUntil(() => seen('digit', open_.id).length === 1, 2000, "the stranger's digit");
      expect(seen('latched', open_.id)[0]!.remote).toEqual({ address: '127.0.0.2', port: stranger.port });
      await keyIn(far, open_.port, 7, 2000);
      await waitUntil(() => seen('digit', open_.id).length === 2, 2000, 'a second source heard after the latch');
      expect(seen('warn', open_.id)).toEqual([]);
      expect(seen('digit', strict.id)).toEqual([]);
    });
  });

  it("records no faster than real time: a caller flooding its own call's recording is held to a second ahead", async () => {
    const { id, port } = await open();
    const path = recordingPath();
    thread.handle({ op: 'startRecording', id, request: 0, path, silenceMs: null });
    const startedAt = performance.now();
    const frame = encodeG711('PCMU', AudioClip.tone(300, 20).pcm);
    // 20 s of audio in bursts of one second (50 packets of 20 ms), each read before the next (a burst of all 1,000
    // would overflow the socket's receive buffer).
    const read = () =>
      Math.max(
        0,
        ...seen('stats')
          .filter((m) => m.counters[0] === id)
          .map((m) => m.counters[2]!),
      );
    for (let burst = 0; burst < 20; burst++) {
      for (let i = burst * 50; i < (burst + 1) * 50; i++)
        await far.sent({ payloadType: 0, marker: false, sequence: i, timestamp: i * 160, payload: frame }, port);
      await waitUntil(() => read() === (burst + 1) * 50, 5000, `burst ${burst} read`);
    }
    const elapsed = performance.now() - startedAt;
    // On disk as it comes, not held until the end: a second of audio (16 KB) is written while the call goes on.
    await waitUntil(() => existsSync(`${path}.part`) && statSync(`${path}.part`).size >= 44 + 16_000, 5000, 'the first second on disk');
    const { samples } = await stopRecording(id, 1);
    expect(decodeWav(readFileSync(path)).pcm.length).toBe(samples);
    expect(samples).toBeGreaterThanOrEqual(8000); // the second of slack
    expect(samples).toBeLessThanOrEqual(Math.ceil((elapsed / 1000 + 1) * 8000) + 160);
    expect(samples).toBeLessThan(1000 * 160);
  });

  it("reports the recording's silence once the caller has not spoken for silenceMs: quiet packets and no packets alike, speech holds it off", async () => {
    const talking = await open();
    thread.handle({ op: 'startRecording', id: talking.id, request: 7, path: recordingPath(), silenceMs: 2000 });
    const loud = encodeG711('PCMU', AudioClip.tone(300, 20).pcm);
    const quiet = encodeG711('PCMU', AudioClip.tone(300, 20, 60).pcm);
    const frame = (payload: Buffer, i: number) => far.sent({ payloadType: 0, marker: false, sequence: i, timestamp: i * 160, payload }, talking.port);
    // A second of speech, a frame every 100 ms.
    const talkUntil = performance.now() + 1000;
    let i = 0;
    let lastSpoke = 0;
    while (performance.now() < talkUntil) {
      lastSpoke = performance.now(); // before the send: the worker hears it later
      await frame(loud, i++);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen('silence', talking.id)).toEqual([]);
    // Then quiet line noise, still a frame every 100 ms: the silence is reported 2 s after the last word (3 s after
    // the start: speech put it off).
    while (seen('silence', talking.id).length === 0) {
      expect(performance.now() - lastSpoke, 'silence reported within 5 s of the last word').toBeLessThan(5000);
      await frame(quiet, i++);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(performance.now() - lastSpoke).toBeGreaterThanOrEqual(2000);

    // A caller who sends nothing at all (silence suppression, a dead line) is silent as well.
    const mute = await open();
    const since = performance.now();
    thread.handle({ op: 'startRecording', id: mute.id, request: 8, path: recordingPath(), silenceMs: 300 });
    await waitUntil(() => seen('silence', mute.id).length > 0, 5000, 'silence without packets');
    expect(performance.now() - since).toBeGreaterThanOrEqual(300);
    await stopRecording(mute.id, 1);
    await stopRecording(talking.id, 2);
    // Once each, and never for a recording that asked for none (the other tests' recordings).
    expect(seen('silence').map((m) => [m.id, m.request])).toEqual([
      [talking.id, 7],
      [mute.id, 8],
    ]);
  });

  it('sends nothing while on hold and resumes after', async () => {
    const { id } = await open({ sending: false });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(far.packets).toHaveLength(0);
    thread.handle({ op: 'setSending', id, sending: true });
    await waitUntil(() => far.packets.length >= 3, 2000, 'media after unhold');
  });

  it('posts pacing samples and counters in batches every stats interval, not per tick', async () => {
    const { id } = await open();
    await new Promise((resolve) => setTimeout(resolve, 450));
    const stats = seen('stats');
    expect(stats.length).toBeGreaterThanOrEqual(3);
    expect(stats.length).toBeLessThanOrEqual(5);
    const samples = stats.reduce((n, s) => n + s.pacing.first.length, 0);
    // One served sub-tick per 20 ms frame for one call: ~22 in 450 ms.
    expect(samples).toBeGreaterThan(15);
    expect(samples).toBeLessThan(30);
    const last = stats.at(-1)!;
    expect(last.pacing.last.length).toBe(last.pacing.first.length);
    expect(last.pacing.first.every((ms) => Math.abs(ms) < 50)).toBe(true);
    expect(last.counters[0]).toBe(id);
    expect(last.counters[1]).toBeGreaterThan(15); // sent
    expect(last.counters[2]).toBe(0); // received
  });
});
