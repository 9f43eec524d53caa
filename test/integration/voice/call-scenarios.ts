/**
 * The call scenarios every SIP engine must pass, with sipp as the far end and
 * our RTP on loopback. Each test's handler plays the part the OzML runtime
 * will: answer, speak, collect digits, hang up. builtin-calls.test.ts runs
 * them on the built-in engine, drachtio-calls.test.ts on drachtio.
 */
import { createSocket } from 'node:dgram';
import { readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioClip, rms } from '../../../src/voice/media/audio-clip.js';
import { decodeWav, encodeWav } from '../../../src/voice/media/wav.js';
import { decodeTelephoneEvent, encodeTelephoneEvent } from '../../../src/voice/media/dtmf.js';
import type { PlayOutcome } from '../../../src/voice/media/rtp-session.js';
import { SIPP_PCAPS, SIPP_SCENARIOS, freeUdpPort, runSipp, udpPortBound, type SippOptions } from '../../helpers/sipp.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { rtpPhone } from '../../helpers/rtp-phone.js';
import type { HarnessOptions, VoiceHarness } from '../../helpers/voice-harness.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const PROMPT = 'Thank you for your payment. Your receipt number is four seven one one.';
const LONG_PROMPT = 'This is a long announcement. '.repeat(8);

export function callScenarios(engine: string, start: (options?: HarnessOptions) => Promise<VoiceHarness>): void {
  describe(`${engine} engine: calls against sipp`, () => {
    let h: VoiceHarness;

    beforeAll(async () => {
      h = await start();
    });
    afterAll(async () => {
      await h?.stop();
    });

    async function sipp(scenario: string, keys: Record<string, string | number> = {}, more: Partial<SippOptions> = {}) {
      const run = runSipp({
        scenario,
        target: h.sipTarget,
        localPort: await freeUdpPort(),
        keys: { caller: '+3612345678', codec: 0, rtp_port: 9, ...keys },
        workDir: h.dir,
        ...more,
      });
      const result = await run.done;
      return result;
    }

    it.each([
      ['UDP', 'u1'],
      ['TCP', 't1'],
    ] as const)('answers a call over %s and sends the spoken prompt as G.711 the caller can decode', async (_name, transport) => {
      const prompt = await h.tts.synthesize(PROMPT);
      h.handler = async (session) => {
        await session.answer();
        await session.speak(PROMPT);
      };
      const receiver = await RtpReceiver.start();
      try {
        const result = await sipp('uac-listen.xml', { rtp_port: receiver.port }, { transport });
        expect(result.code, result.errors || result.stdout).toBe(0);
        const audio = receiver.audio();
        // The whole prompt arrives, and it is speech, not silence.
        expect(audio.length / 8).toBeGreaterThanOrEqual(prompt.durationMs - 40);
        expect(audio.length / 8).toBeLessThan(prompt.durationMs + 1000);
        expect(rms(audio)).toBeGreaterThan(500);
        expect(receiver.packets.every((p) => p.payloadType === 0)).toBe(true);
        // Paced at 20 ms: 50 packets a second, not a burst.
        const span = receiver.packets.at(-1)!.at - receiver.packets[0]!.at;
        expect(span).toBeGreaterThan(prompt.durationMs - 200);
        const session = h.sessions.at(-1)!;
        expect(session.info.from.user).toBe('+3612345678');
        expect(session.info.from.displayName).toBe('Alice');
        expect(session.info.headers['x-order-id']).toBe('4711');
        expect(session.info.source.startsWith(transport === 't1' ? 'tcp:' : 'udp:')).toBe(true);
        expect(session.endReason).toBe('local-hangup');
      } finally {
        receiver.close();
      }
    });

    it("answers a late-offer INVITE (no SDP) with our offer and sends media as the ACK's answer chose", async () => {
      h.handler = async (session) => {
        await session.answer();
        await session.speak('Late offer');
      };
      const receiver = await RtpReceiver.start();
      try {
        const result = await sipp('uac-late-offer.xml', { rtp_port: receiver.port });
        expect(result.code, result.errors || result.stdout).toBe(0);
        // The ACK answered PCMA to the receiver's port: the speech arrives there, as PCMA.
        expect(receiver.packets.length).toBeGreaterThan(20);
        expect(receiver.packets.every((p) => p.payloadType === 8)).toBe(true);
        expect(rms(receiver.audio())).toBeGreaterThan(500);
        expect(h.sessions.at(-1)!.endReason).toBe('local-hangup');
      } finally {
        receiver.close();
      }
    });

    it('hears RFC 4733 digits from sipp in order, and a SIP INFO digit after them', async () => {
      let collected = '';
      h.handler = async (session) => {
        await session.answer();
        collected = (await session.collectDigits({ maxDigits: 4, firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 3000 })).digits;
      };
      const result = await sipp('uac-dtmf.xml', {}, { cwd: SIPP_PCAPS });
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(collected).toBe('1234');
    });

    it("takes neither audio nor digits from a stranger who reaches the call's RTP port first, and sends it none of the call's audio", async () => {
      // RTP ports are a known range: whoever reaches one could send before the caller and be answered with its
      // prompts (receipts and codes read out), or key in digits. The stranger is on 127.0.0.2, sipp on 127.0.0.1.
      const stranger = await rtpPhone('127.0.0.2');
      let dropped = 0;
      let collected: string | null = null;
      h.handler = async (session) => {
        await session.answer();
        const rtp = session.rtpSession!;
        for (let i = 0; i < 5; i++)
          await stranger.sent({ payloadType: 0, marker: false, sequence: i, timestamp: i * 160, payload: Buffer.alloc(160, 0x10) }, rtp.localPort);
        for (const end of [false, true, true, true])
          await stranger.sent(
            { payloadType: 101, marker: false, sequence: 9, timestamp: 5000, payload: encodeTelephoneEvent({ event: 9, end, volume: 10, duration: 160 }) },
            rtp.localPort,
          );
        await waitUntil(() => rtp.counters.dropped >= 9, 5000, "the stranger's packets dropped");
        dropped = rtp.counters.dropped;
        await session.speak('Your code is four seven one one.');
        collected = (await session.collectDigits({ maxDigits: 1, firstDigitTimeoutMs: 100, interDigitTimeoutMs: 100 })).digits;
      };
      const receiver = await RtpReceiver.start();
      try {
        const result = await sipp('uac-listen.xml', { rtp_port: receiver.port });
        expect(result.code, result.errors || result.stdout).toBe(0);
        expect(dropped).toBe(9);
        expect(collected).toBe('');
        expect(rms(receiver.audio())).toBeGreaterThan(500);
        expect(stranger.packets).toHaveLength(0);
      } finally {
        receiver.close();
        stranger.close();
      }
    });

    it('stops the prompt at once when the caller hangs up mid-prompt', async () => {
      let outcome: PlayOutcome | null = null;
      let playEndedAt = 0;
      h.handler = async (session) => {
        await session.answer();
        outcome = await session.speak(LONG_PROMPT);
        playEndedAt = Date.now();
      };
      const prompt = await h.tts.synthesize(LONG_PROMPT);
      expect(prompt.durationMs).toBeGreaterThan(6000);
      const receiver = await RtpReceiver.start();
      try {
        const result = await sipp('uac-hangup-mid-prompt.xml', { rtp_port: receiver.port });
        expect(result.code, result.errors || result.stdout).toBe(0);
        const session = h.sessions.at(-1)!;
        await waitUntil(() => outcome !== null, 2000, 'the prompt to stop');
        expect(outcome).toBe('stopped');
        expect(session.endReason).toBe('remote-hangup');
        expect(playEndedAt - session.endedAt!).toBeLessThan(50);
        const heard = receiver.packets.at(-1)!.at - receiver.packets[0]!.at;
        expect(heard).toBeLessThan(1600);
      } finally {
        receiver.close();
      }
    });

    it('answers CANCEL before answer with 200 and the INVITE with 487', async () => {
      h.handler = async (session) => {
        session.ring();
        await new Promise((resolve) => session.signal.addEventListener('abort', resolve));
      };
      const result = await sipp('uac-cancel.xml');
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(h.sessions.at(-1)!.endReason).toBe('cancelled');
    });

    it.each([486, 603, 404])('rejects a call with the chosen status %i', async (status) => {
      h.handler = async (session) => {
        session.reject(status, 'Chosen');
      };
      const scenario = join(h.dir, `uac-reject-${status}.xml`);
      writeFileSync(scenario, readFileSync(join(SIPP_SCENARIOS, 'uac-reject.xml'), 'utf8').replace('STATUS', String(status)));
      const result = await sipp(scenario);
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(h.sessions.at(-1)!.endReason).toBe('rejected');
    });

    it('answers 488 to an offer with no codec in common, and keeps serving calls', async () => {
      h.handler = async (session) => {
        await session.answer();
      };
      const result = await sipp('uac-bad-sdp.xml');
      expect(result.code, result.errors || result.stdout).toBe(0);
    });

    it('goes quiet while held (re-INVITE sendonly → recvonly) and sends again after unhold', async () => {
      h.handler = async (session) => {
        await session.answer();
        await session.pause(3000);
      };
      const receiver = await RtpReceiver.start();
      try {
        const result = await sipp('uac-hold.xml', { rtp_port: receiver.port });
        expect(result.code, result.errors || result.stdout).toBe(0);
        const times = receiver.packets.map((p) => p.at);
        const gaps = times.slice(1).map((t, i) => t - times[i]!);
        const longest = Math.max(...gaps);
        expect(longest).toBeGreaterThan(700); // the ~1 s hold
        expect(longest).toBeLessThan(1600);
        const resumedAt = times[gaps.indexOf(longest) + 1]!;
        expect(times.filter((t) => t >= resumedAt).length).toBeGreaterThan(10); // media came back
      } finally {
        receiver.close();
      }
    });

    it('puts the caller on hold with its own re-INVITE (a=sendonly), takes them back (a=sendrecv), then hangs up', async () => {
      const changes: boolean[] = [];
      h.handler = async (session) => {
        await session.answer();
        session.onHoldChange((held) => changes.push(held));
        await session.hold(true);
        expect(session.held).toBe(true);
        await session.hold(true); // already held: no second re-INVITE (sipp would fail on it)
        await session.hold(false);
        expect(session.held).toBe(false);
        await session.hangup();
      };
      const result = await sipp('uac-held.xml');
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(changes).toEqual([true, false]);
      expect(h.sessions.at(-1)!.endReason).toBe('local-hangup');
    });

    it('transfers a call with REFER and hangs up its own leg once the transfer is accepted', async () => {
      h.handler = async (session) => {
        await session.answer();
        await session.transfer('1002');
      };
      const result = await sipp('uac-refer.xml');
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(h.sessions.at(-1)!.endReason).toBe('local-hangup');
    });

    it('places an outbound call to a sipp phone, speaks, sends RFC 4733 digits, hangs up', async () => {
      const receiver = await RtpReceiver.start();
      const sippPort = await freeUdpPort();
      const phone = runSipp({ scenario: 'uas-answer.xml', localPort: sippPort, keys: { rtp_port: receiver.port }, workDir: h.dir });
      try {
        await udpPortBound(sippPort);
        let answered = false;
        const session = await h.calls.dial({ target: `sip:1001@127.0.0.1:${sippPort}`, callerId: '+3655501' }, async (s) => {
          answered = true;
          await s.speak('Your code is 1 2 3');
          await s.sendDigits('12#');
        });
        expect(answered).toBe(true);
        const result = await phone.done;
        expect(result.code, result.errors || result.stdout).toBe(0);
        expect(session.endReason).toBe('local-hangup');
        expect(receiver.packets.some((p) => p.payloadType === 8)).toBe(true); // the phone asked for PCMA only
        expect(rms(receiver.audio())).toBeGreaterThan(500);
        const events = receiver.packets.filter((p) => p.payloadType === 101).map((p) => decodeTelephoneEvent(p.payload)!);
        const digits = [...new Set(events.map((e) => e.event))];
        expect(digits).toEqual([1, 2, 11]);
        expect(events.filter((e) => e.end).length).toBe(9); // each digit's end sent three times (RFC 4733 §2.5.1.4)
      } finally {
        phone.kill();
        receiver.close();
      }
    });

    it('gives up ringing when the ring time runs out, even when the far end never answers anything (not even the CANCEL)', async () => {
      const blackHole = createSocket('udp4');
      await new Promise<void>((resolve) => blackHole.bind(0, '127.0.0.1', resolve));
      let invites = 0;
      blackHole.on('message', (m) => {
        if (m.toString().startsWith('INVITE ')) invites++;
      });
      try {
        const started = Date.now();
        await expect(h.calls.dial({ target: `sip:1001@127.0.0.1:${blackHole.address().port}`, callerId: '1', timeoutMs: 1000 })).rejects.toMatchObject({
          code: 'TN_ERR_CALL_FAILED',
          protocolStatus: 487,
        });
        // before: the built-in engine waited for Timer B, 32 s, for a 487 that never came
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(invites).toBeGreaterThan(0);
      } finally {
        blackHole.close();
      }
    });

    it('reports a failed outbound call with the SIP status', async () => {
      const sippPort = await freeUdpPort(); // nobody listens there
      await expect(h.calls.dial({ target: `sip:1001@127.0.0.1:${sippPort};transport=tcp`, callerId: '1', timeoutMs: 3000 })).rejects.toMatchObject({
        code: 'TN_ERR_CALL_FAILED',
      });
    });
  });

  describe(`${engine} engine: recording and prompts from URLs`, () => {
    let h: VoiceHarness;
    beforeAll(async () => {
      h = await start();
    });
    afterAll(async () => {
      await h?.stop();
    });

    it("records the caller's audio to a WAV file", async () => {
      const file = join(h.dir, 'caller.wav');
      h.handler = async (session) => {
        await session.answer();
        session.startRecording(`${file}.writing`);
        await new Promise((resolve) => session.signal.addEventListener('abort', resolve));
        await session.stopRecording();
        renameSync(`${file}.writing`, file); // the test waits for `file`: there only once complete
      };
      const result = await sipp('uac-talk.xml', { codec: 8 }, { cwd: SIPP_PCAPS, timeoutSeconds: 20 });
      expect(result.code, result.errors || result.stdout).toBe(0);
      await waitUntil(() => existsSync(file), 2000, 'the recording');
      const recording = decodeWav(readFileSync(file));
      expect(recording.durationMs).toBeGreaterThan(6500); // the pcap holds 7 s of speech
      expect(recording.durationMs).toBeLessThan(7600);
      expect(rms(recording.pcm)).toBeGreaterThan(300);
    });

    it('plays a WAV from an HTTP URL, downloading it once for many calls', async () => {
      const tone = AudioClip.tone(440, 700);
      let downloads = 0;
      const server = createServer((_req, res) => {
        downloads++;
        res.writeHead(200, { 'content-type': 'audio/wav' }).end(encodeWav(tone.pcm));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prompts/hello.wav`;
      h.handler = async (session) => {
        await session.answer();
        await session.play(url);
      };
      try {
        for (let i = 0; i < 2; i++) {
          const receiver = await RtpReceiver.start();
          const result = await sipp('uac-listen.xml', { rtp_port: receiver.port });
          receiver.close();
          expect(result.code, result.errors || result.stdout).toBe(0);
          expect(receiver.audio().length / 8).toBeGreaterThanOrEqual(700);
          expect(rms(receiver.audio())).toBeGreaterThan(3000);
        }
        expect(downloads).toBe(1);
      } finally {
        server.close();
      }
    });

    async function sipp(scenario: string, keys: Record<string, string | number> = {}, more: Partial<SippOptions> = {}) {
      return runSipp({
        scenario,
        target: h.sipTarget,
        localPort: await freeUdpPort(),
        keys: { caller: '1', codec: 0, rtp_port: 9, ...keys },
        workDir: h.dir,
        ...more,
      }).done;
    }
  });

  /**
   * For the call caps: a handler that answers each call and holds it until `release` ends it, a sipp scenario that
   * expects 503, and a sipp caller (from `localAddress`, default 127.0.0.1) against `h`.
   */
  function heldCalls(h: VoiceHarness) {
    const release: Array<() => void> = [];
    h.handler = async (session) => {
      await session.answer();
      await new Promise<void>((resolve) => release.push(resolve));
    };
    const rejected = join(h.dir, 'uac-reject-503.xml');
    writeFileSync(rejected, readFileSync(join(SIPP_SCENARIOS, 'uac-reject.xml'), 'utf8').replace('STATUS', '503'));
    const sipp = async (scenario: string, localAddress = '127.0.0.1') =>
      runSipp({
        scenario,
        target: h.sipTarget,
        localPort: await freeUdpPort(),
        localAddress,
        keys: { caller: '+3612345678', codec: 0, rtp_port: 9 },
        workDir: h.dir,
      });
    return { release, rejected, sipp };
  }

  describe(`${engine} engine: at voice.maxCallsPerSource`, () => {
    let h: VoiceHarness;
    beforeAll(async () => {
      h = await start({ maxCallsPerSource: 1 });
    });
    afterAll(async () => {
      await h?.stop();
    });

    it("answers 503 to a source's second call while its first goes on, and still takes another source's", async () => {
      const { release, rejected, sipp } = heldCalls(h);
      const first = await sipp('uac-listen.xml', '127.0.0.1');
      let other: ReturnType<typeof runSipp> | null = null;
      try {
        await waitUntil(() => release.length === 1, 15_000, 'the first call answered');
        const second = await (await sipp(rejected, '127.0.0.1')).done;
        expect(second.code, second.errors || second.stdout).toBe(0);
        expect(h.sessions).toHaveLength(1);
        other = await sipp('uac-listen.xml', '127.0.0.2');
        await waitUntil(() => release.length === 2, 15_000, "another source's call answered");
        release.splice(0).forEach((end) => end());
        for (const run of [first, other]) {
          const result = await run.done;
          expect(result.code, result.errors || result.stdout).toBe(0);
        }
        // The first source's call has ended: it may call again.
        await waitUntil(() => h.calls.activeCalls.length === 0, 15_000, 'both calls ended');
        const again = await sipp('uac-listen.xml', '127.0.0.1');
        await waitUntil(() => release.length === 1, 15_000, 'the first source answered again');
        release.splice(0).forEach((end) => end());
        expect((await again.done).code).toBe(0);
      } finally {
        release.splice(0).forEach((end) => end());
        first.kill();
        other?.kill();
      }
    });
  });

  describe(`${engine} engine: at voice.maxCalls`, () => {
    let h: VoiceHarness;
    beforeAll(async () => {
      h = await start({ maxCalls: 2 });
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('answers 503 to a call past maxCalls, places none past it, and takes calls again once one ends', async () => {
      const { release, rejected, sipp } = heldCalls(h);
      // Two calls that stay until the script hangs up (sipp waits for our BYE).
      const held = [await sipp('uac-listen.xml'), await sipp('uac-listen.xml')];
      try {
        await waitUntil(() => release.length === 2, 15_000, 'two calls answered');
        const third = await (await sipp(rejected)).done;
        expect(third.code, third.errors || third.stdout).toBe(0);
        expect(h.sessions).toHaveLength(2); // the third never reached the script
        // Placing a call counts too, before any INVITE leaves.
        await expect(h.calls.dial({ target: 'sip:1001@127.0.0.1:9', callerId: '1' })).rejects.toMatchObject({
          code: 'TN_ERR_CALL_FAILED',
          protocolStatus: 503,
        });
        expect((await h.registry.getSingleMetricAsString('telenode_calls_refused_total')).split('\n')).toEqual(
          expect.arrayContaining(['telenode_calls_refused_total{direction="inbound"} 1', 'telenode_calls_refused_total{direction="outbound"} 1']),
        );
        // One call ends; the next one is answered.
        release.shift()!();
        await waitUntil(() => h.calls.activeCalls.length === 1, 15_000, 'the released call ended');
        const fourth = await sipp('uac-listen.xml');
        await waitUntil(() => release.length === 2, 15_000, 'a call answered again');
        expect(h.sessions).toHaveLength(3);
        release.splice(0).forEach((end) => end());
        for (const run of [...held, fourth]) {
          const result = await run.done;
          expect(result.code, result.errors || result.stdout).toBe(0);
        }
      } finally {
        release.splice(0).forEach((end) => end());
        for (const run of held) run.kill();
      }
    });
  });
}
