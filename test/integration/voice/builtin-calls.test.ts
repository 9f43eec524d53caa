/**
 * The built-in SIP engine (npm `sip` + our dialog layer): the shared call
 * scenarios, plus what only this engine does itself — malformed input,
 * REGISTER with digest, and refusals answered once, statelessly. Who may
 * call (ACL, digest) is in inbound-scenarios.ts, run on both engines.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort, runSipp, udpPortBound, sippAvailable } from '../../helpers/sipp.js';
import { startVoiceHarness, type HarnessOptions, type VoiceHarness } from '../../helpers/voice-harness.js';
import type { BuiltinEngineConfig } from '../../../src/voice/sip/builtin/builtin-engine.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';
import { callScenarios } from './call-scenarios.js';
import { inboundPolicyScenarios } from './inbound-scenarios.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import type { CallSession } from '../../../src/voice/call-session.js';

describe.skipIf(!sippAvailable())('built-in SIP engine', () => {
  callScenarios('built-in', (options) => startVoiceHarness({}, options));
  inboundPolicyScenarios('built-in', (options) => startVoiceHarness({}, options));

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
        Buffer.from(
          'INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\nFrom: <<<\r\nTo: >>>\r\nCall-ID: x\r\nCSeq: banana\r\n\r\n',
        ),
        Buffer.from(`OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKy\r\n${'X-Pad: '.padEnd(60_000, 'a')}\r\n\r\n`),
        Buffer.from(
          'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnothing\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: q\r\nCSeq: 1 INVITE\r\n\r\n',
        ),
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
      const result = await runSipp({
        scenario: 'uac-listen.xml',
        target: h.sipTarget,
        localPort: await freeUdpPort(),
        keys: { caller: '1', codec: 0, rtp_port: 9 },
        workDir: h.dir,
      }).done;
      expect(result.code, result.errors || result.stdout).toBe(0);
    });

    it('refuses requests whose Contact, From, CSeq or Request-URI it could not use, with 400/416, and stays up', async () => {
      const udp = createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      const self = `127.0.0.1:${udp.address().port}`;
      const callsBefore = h.sessions.length;
      const answers = new Map<string, string>();
      udp.on('message', (data) => {
        const text = data.toString();
        const callId = /^Call-ID: (.*)$/im.exec(text)?.[1]?.trim();
        if (callId && !text.startsWith('SIP/2.0 100')) answers.set(callId, text.split('\r\n')[0]!);
      });
      const invite = (callId: string, overrides: Record<string, string>, requestUri = `sip:x@127.0.0.1:${h.port}`) => {
        const headers: Record<string, string> = {
          Via: `SIP/2.0/UDP ${self};branch=z9hG4bK${callId}`,
          From: `<sip:caller@${self}>;tag=1`,
          To: '<sip:x@127.0.0.1>',
          'Call-ID': callId,
          CSeq: '1 INVITE',
          Contact: `<sip:caller@${self}>`,
          'Max-Forwards': '70',
          ...overrides,
        };
        const lines = Object.entries(headers)
          .filter(([, v]) => v !== '')
          .map(([k, v]) => `${k}: ${v}`);
        udp.send(`INVITE ${requestUri} SIP/2.0\r\n${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, h.port, '127.0.0.1');
      };
      // Before the sanity check, each of these was answered 200 OK, and the BYE to the unusable Contact later killed the process.
      invite('bad-contact', { Contact: '<garbage>' });
      invite('no-contact', { Contact: '' });
      invite('bad-from', { From: 'garbage;tag=1' });
      invite('bad-cseq', { CSeq: '1 BYE' });
      invite('tel-uri', {}, 'tel:+15551234');
      invite('zero-hops', { 'Max-Forwards': '0' });
      await waitUntil(() => answers.size >= 6, 10_000, 'answers to the malformed INVITEs');
      udp.close();
      expect(Object.fromEntries(answers)).toEqual({
        'bad-contact': 'SIP/2.0 400 Bad Contact',
        'no-contact': 'SIP/2.0 400 Bad Contact',
        'bad-from': 'SIP/2.0 400 Bad From',
        'bad-cseq': 'SIP/2.0 400 Bad CSeq',
        'tel-uri': 'SIP/2.0 416 Unsupported URI Scheme',
        'zero-hops': 'SIP/2.0 483 Too Many Hops',
      });
      expect(h.sessions).toHaveLength(callsBefore); // none of them became a call
    });

    it('sends a call no RTP before its ACK, so a forged INVITE cannot aim a stream at someone else', async () => {
      // Over UDP an INVITE's source can be forged: the 200 then goes to the forged address, no ACK ever comes, and
      // whatever the SDP names (here the "victim") would get the call's RTP until the 200's retransmissions end.
      const udp = createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      const self = `127.0.0.1:${udp.address().port}`;
      const received: string[] = [];
      const send = (text: string) => udp.send(text, h.port, '127.0.0.1');
      udp.on('message', (data) => {
        const text = data.toString();
        received.push(text);
        if (text.startsWith('BYE ')) {
          const header = (name: string) => new RegExp(`^${name}: .*$`, 'im').exec(text)![0];
          send(`SIP/2.0 200 OK\r\n${['Via', 'From', 'To', 'Call-ID', 'CSeq'].map(header).join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
        }
      });
      const victim = await RtpReceiver.start();
      h.handler = async (s) => {
        await s.answer();
        await s.speak('Your code is four seven one one.');
      };
      try {
        const sdp = `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${victim.port} RTP/AVP 0\r\n`;
        const common = `From: <sip:caller@${self}>;tag=7\r\nCall-ID: forged-invite\r\nMax-Forwards: 70\r\n`;
        send(
          `INVITE sip:x@127.0.0.1:${h.port} SIP/2.0\r\nVia: SIP/2.0/UDP ${self};branch=z9hG4bKfi1\r\n${common}To: <sip:x@127.0.0.1>\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@${self}>\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
        );
        const oks = () => received.filter((m) => m.startsWith('SIP/2.0 200') && /CSeq: 1 INVITE/i.test(m));
        // The first 200 and two retransmissions (T1 and 3·T1 later): 1.5 s unanswered, 75 packets of RTP before.
        await waitUntil(() => oks().length >= 3, 10_000, 'the 200 sent three times, unacknowledged');
        expect(victim.packets).toHaveLength(0);
        const to = /^To: (.*)$/im.exec(oks()[0]!)![1]!.trim();
        send(
          `ACK sip:x@127.0.0.1:${h.port} SIP/2.0\r\nVia: SIP/2.0/UDP ${self};branch=z9hG4bKfi2\r\n${common}To: ${to}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n`,
        );
        await waitUntil(() => victim.packets.length >= 10, 10_000, 'RTP once the call is confirmed');
        await waitUntil(() => h.calls.activeCalls.length === 0, 20_000, 'the call to end');
      } finally {
        victim.close();
        udp.close();
      }
    });

    it('still ends a call whose stale BYE it refused (the leak the fuzzer found)', async () => {
      const udp = createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      const self = `127.0.0.1:${udp.address().port}`;
      const received: string[] = [];
      udp.on('message', (data) => received.push(data.toString()));
      const send = (text: string) => udp.send(text, h.port, '127.0.0.1');
      let releaseHangup!: () => void;
      const hangupAllowed = new Promise<void>((resolve) => (releaseHangup = resolve));
      const session = new Promise<CallSession>((resolve) => {
        h.handler = async (s) => {
          resolve(s);
          await s.answer();
          await hangupAllowed;
          await s.hangup();
        };
      });
      const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';
      const common = `From: <sip:caller@${self}>;tag=9\r\nCall-ID: stale-bye\r\nMax-Forwards: 70\r\n`;
      send(
        `INVITE sip:x@127.0.0.1:${h.port} SIP/2.0\r\nVia: SIP/2.0/UDP ${self};branch=z9hG4bKsb1\r\n${common}To: <sip:x@127.0.0.1>\r\nCSeq: 5 INVITE\r\nContact: <sip:caller@${self}>\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
      );
      await waitUntil(() => received.some((m) => m.startsWith('SIP/2.0 200')), 10_000, 'the 200 OK');
      const to = /^To: (.*)$/im.exec(received.find((m) => m.startsWith('SIP/2.0 200'))!)![1]!.trim();
      send(
        `ACK sip:x@127.0.0.1:${h.port} SIP/2.0\r\nVia: SIP/2.0/UDP ${self};branch=z9hG4bKsb2\r\n${common}To: ${to}\r\nCSeq: 5 ACK\r\nContent-Length: 0\r\n\r\n`,
      );
      const call = await session;
      await waitUntil(() => call.state === 'answered', 5000, 'the answer');
      // A BYE with a CSeq below the INVITE's is stale (RFC 3261 §12.2.2): refused with 500.
      send(
        `BYE sip:x@127.0.0.1:${h.port} SIP/2.0\r\nVia: SIP/2.0/UDP ${self};branch=z9hG4bKsb3\r\n${common}To: ${to}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n`,
      );
      await waitUntil(() => received.some((m) => m.startsWith('SIP/2.0 500') && /CSeq: 1 BYE/i.test(m)), 5000, 'the 500 to the stale BYE');
      releaseHangup();
      // Our hang-up must still send a BYE and end the call.
      await waitUntil(() => received.some((m) => m.startsWith('BYE ')), 10_000, 'our BYE');
      await waitUntil(() => h.calls.activeCalls.length === 0, 5000, 'the call to end');
      udp.close();
    });

    it("sends a call's refusal once over TCP and again until the ACK over UDP only (Timer G, RFC 3261 §17.2.1)", async () => {
      h.handler = async (s) => s.reject(486, 'Busy Here');
      const invite = (transport: 'TCP' | 'UDP', self: string, id: string) =>
        `INVITE sip:x@127.0.0.1:${h.port} SIP/2.0\r\nVia: SIP/2.0/${transport} ${self};branch=z9hG4bK${id}\r\nFrom: <sip:caller@${self}>;tag=7\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: ${id}\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@${self};transport=${transport.toLowerCase()}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
      const busy = (texts: string[]) => texts.join('').split('SIP/2.0 486 Busy Here').length - 1;
      const tcp = connect(h.port, '127.0.0.1');
      tcp.on('error', () => undefined);
      await new Promise((resolve) => tcp.once('connect', resolve));
      const overTcp: string[] = [];
      tcp.on('data', (d: Buffer) => overTcp.push(d.toString()));
      const udp = createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      const overUdp: string[] = [];
      udp.on('message', (d) => overUdp.push(d.toString()));
      try {
        tcp.write(invite('TCP', `127.0.0.1:${tcp.localPort}`, 'refused-tcp'));
        await waitUntil(() => busy(overTcp) === 1, 10_000, 'the refusal over TCP');
        udp.send(invite('UDP', `127.0.0.1:${udp.address().port}`, 'refused-udp'), h.port, '127.0.0.1');
        // Over UDP: the 486, then again at T1 and 3·T1 with no ACK. The TCP transaction's timers, set earlier, would
        // have fired by then: before, the TCP caller had its 486 three times as well.
        await waitUntil(() => busy(overUdp) >= 3, 10_000, 'the refusal resent over UDP');
        expect(busy(overTcp)).toBe(1);
      } finally {
        tcp.destroy();
        udp.close();
      }
    });

    it('closes a TCP stream whose Content-Length it cannot frame, and caps connections per source', async () => {
      const wedged = connect(h.port, '127.0.0.1');
      wedged.on('error', () => undefined);
      await new Promise((resolve) => wedged.once('connect', resolve));
      const closed = new Promise((resolve) => wedged.once('close', resolve));
      wedged.write(
        `OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKcl\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@c>\r\nCall-ID: cl\r\nCSeq: 1 OPTIONS\r\nContent-Length: abc\r\n\r\n`,
      );
      await closed; // before: the stream waited for NaN octets forever and buffered all that followed

      const limit = 5;
      const capped = await startVoiceHarness({ tcp: { maxConnections: 100, maxConnectionsPerSource: limit, idleTimeoutSeconds: 60 } });
      const sockets = Array.from({ length: limit + 3 }, () => {
        const socket = connect(capped.port, '127.0.0.1');
        socket.on('error', () => undefined);
        return socket;
      });
      try {
        // Refused ones are closed by the node at once; the others stay open.
        await waitUntil(() => sockets.filter((s) => s.closed).length === 3, 10_000, 'three refused connections');
        const open = sockets.filter((s) => !s.closed);
        expect(open).toHaveLength(limit);
        // and the ones it kept are served
        const answered = await Promise.all(
          open.map((socket, i) => {
            const reply = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString().split('\r\n')[0]!)));
            socket.write(
              `OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:${socket.localPort};branch=z9hG4bKo${i}\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: o${i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
            );
            return reply;
          }),
        );
        expect(answered).toEqual(Array(limit).fill('SIP/2.0 200 OK'));
      } finally {
        for (const s of sockets) s.destroy();
        await capped.stop();
      }
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
    await udpPortBound(sippPort);
    const h = await startVoiceHarness({
      registrations: [{ registrar: `sip:127.0.0.1:${sippPort}`, aor: null, username: '1001', password, expiresSeconds: 60 }],
    });
    try {
      const result = await registrar.done;
      await waitUntil(
        () => {
          const r = h.engine.status().registrations[0]!;
          return r.registered || r.lastError !== null;
        },
        5000,
        'the registration outcome',
      );
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
  it.each<[string, 'INVITE' | 'OPTIONS', Partial<BuiltinEngineConfig>, HarnessOptions, string]>([
    ['403 to an INVITE from outside the ACL', 'INVITE', { inbound: { allow: ['10.0.0.0/8'], auth: null } }, {}, 'SIP/2.0 403 Forbidden'],
    [
      '401 with a digest challenge',
      'INVITE',
      { inbound: { allow: [], auth: { realm: 'telenode', users: [{ username: 'pbx', password: 's3cret' }] } } },
      {},
      'SIP/2.0 401 Unauthorized',
    ],
    ['503 to an INVITE at voice.maxCalls', 'INVITE', {}, { maxCalls: 0 }, 'SIP/2.0 503 Service Unavailable'],
    ["200 to an OPTIONS (anyone's keep-alive or scan)", 'OPTIONS', {}, {}, 'SIP/2.0 200 OK'],
  ])(
    'answers %s once and keeps no transaction: a forged request is not answered again and again, nor remembered',
    async (_what, method, engine, options, status) => {
      const h = await startVoiceHarness(engine, options);
      const caller = createSocket('udp4');
      try {
        await new Promise<void>((resolve) => caller.bind(0, '127.0.0.1', resolve));
        const self = `127.0.0.1:${caller.address().port}`;
        const received: string[] = [];
        caller.on('message', (data) => received.push(data.toString()));
        const target = `sip:100@127.0.0.1:${h.port}`;
        const invite = `${method} ${target} SIP/2.0\r\nVia: SIP/2.0/UDP ${self};branch=z9hG4bKforged\r\nFrom: <sip:x@${self}>;tag=1\r\nTo: <${target}>\r\nCall-ID: forged\r\nCSeq: 1 ${method}\r\nContact: <sip:x@${self}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
        caller.send(invite, h.port, '127.0.0.1');
        await waitUntil(() => received.length === 1, 5000, 'the answer');
        // The same request again, as a caller that lost the answer sends it. A transaction kept for it (32 s) would send
        // its stored answer (same To tag), and for an INVITE again at 0.5, 1.5, 3.5 ... s until an ACK; without one it
        // is answered anew.
        caller.send(invite, h.port, '127.0.0.1');
        await waitUntil(() => received.length === 2, 5000, 'the second answer');
        expect(received.map((text) => text.split('\r\n')[0])).toEqual([status, status]); // no 100 Trying first
        const toTags = received.map((text) => /^To:.*;tag=([^;\s]+)/im.exec(text)?.[1]);
        expect(toTags[0]).toBeTruthy();
        expect(toTags[1]).not.toBe(toTags[0]);
        expect(h.sessions).toHaveLength(0);
      } finally {
        caller.close();
        await h.stop();
      }
    },
  );
});
