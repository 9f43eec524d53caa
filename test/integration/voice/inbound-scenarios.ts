/**
 * Who may call, on every SIP engine: the allow list (403 to anyone outside it),
 * digest authentication of INVITEs (RFC 3261 §22.4) with sipp proving the
 * password, and a guessing address locked out (decision 0140) while the PBX on
 * its own address still gets in. builtin-calls.test.ts runs them on the
 * built-in engine, drachtio-calls.test.ts through drachtio-server.
 */
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import * as digest from 'sip/digest.js';
import { describe, expect, it } from 'vitest';
import { freeUdpPort, rejectScenario, runSipp } from '../../helpers/sipp.js';
import { rawInvite } from '../../helpers/raw-sip.js';
import type { HarnessOptions, VoiceHarness } from '../../helpers/voice-harness.js';
import { waitUntil } from '../../helpers/temp-dir.js';

export function inboundPolicyScenarios(engine: string, start: (options?: HarnessOptions) => Promise<VoiceHarness>): void {
  describe(`${engine} engine: who may call`, () => {
    it('challenges INVITEs with digest and answers the caller that proves the password', async () => {
      const h = await start({ inbound: { allow: [], auth: { realm: 'telenode', users: [{ username: 'pbx', password: 's3cret' }] } } });
      try {
        h.handler = async (session) => {
          await session.answer();
        };
        const run = async (password: string) =>
          runSipp({
            scenario: 'uac-auth.xml',
            target: h.sipTarget,
            localPort: await freeUdpPort(),
            keys: { caller: '1', codec: 0, rtp_port: 9 },
            extraArgs: ['-au', 'pbx', '-ap', password],
            workDir: h.dir,
            timeoutSeconds: 5,
          }).done;
        const good = await run('s3cret');
        expect(good.code, good.errors || good.stdout).toBe(0);
        expect(h.sessions).toHaveLength(1);
        const bad = await run('guess');
        expect(bad.code).not.toBe(0); // challenged again, never answered
        expect(h.sessions).toHaveLength(1);
      } finally {
        await h.stop();
      }
    });

    it('refuses an address that guessed digest passwords too often with 403, and lets the PBX in from its own', async () => {
      const h = await start({
        inbound: {
          allow: [],
          auth: {
            realm: 'telenode',
            users: [{ username: 'pbx', password: 's3cret' }],
            guessing: { maxFailuresPerSource: 3, windowSeconds: 60, lockoutSeconds: 300 },
          },
        },
      });
      const guesser = createSocket('udp4');
      try {
        h.handler = async (session) => {
          await session.answer();
        };
        await new Promise<void>((resolve) => guesser.bind(0, '127.0.0.2', resolve));
        const self = `127.0.0.2:${guesser.address().port}`;
        const answers = new Map<string, string>();
        guesser.on('message', (data) => {
          const text = data.toString();
          const callId = /^Call-ID: (.*)$/im.exec(text)?.[1]?.trim();
          if (callId && !text.startsWith('SIP/2.0 100')) answers.set(callId, text);
        });
        const [host, port] = h.sipTarget.split(':') as [string, string];
        const target = `sip:100@${h.sipTarget}`;
        // Call-IDs of this run only: drachtio-server remembers a Call-ID's transaction for 32 s, across test runs.
        const run = randomUUID().slice(0, 8);
        const invite = async (step: string, password: string | null, nonce = ''): Promise<string> => {
          const callId = `${step}-${run}`;
          const authorization =
            password === null
              ? ''
              : `Authorization: Digest username="pbx", realm="telenode", nonce="${nonce}", uri="${target}", response="${digest.calculateDigest({
                  ha1: digest.calculateUserRealmPasswordHash('pbx', 'telenode', password),
                  nonce,
                  method: 'INVITE',
                  uri: target,
                })}"`;
          const text = rawInvite(target, self, callId, authorization ? [authorization] : []);
          guesser.send(text, Number(port), host);
          await waitUntil(() => answers.has(callId), 5000, `the answer to ${callId}`);
          return answers.get(callId)!;
        };
        const nonce = /nonce="([^"]+)"/.exec(await invite('ask', null))![1]!;
        for (const guess of ['1234', 'password', 'pbx'])
          expect((await invite(`guess-${guess}`, guess, nonce)).split('\r\n')[0]).toBe('SIP/2.0 401 Unauthorized');
        // Locked out: even the right password is refused unchecked, and no new nonce is handed out.
        const refused = await invite('right', 's3cret', nonce);
        expect(refused.split('\r\n')[0]).toBe('SIP/2.0 403 Forbidden');
        expect(refused).not.toMatch(/WWW-Authenticate/i);
        expect(h.sessions).toHaveLength(0);
        // The PBX on 127.0.0.1 with the same user still gets in: only the address was locked.
        const pbx = await runSipp({
          scenario: 'uac-auth.xml',
          target: h.sipTarget,
          localPort: await freeUdpPort(),
          keys: { caller: '1', codec: 0, rtp_port: 9 },
          extraArgs: ['-au', 'pbx', '-ap', 's3cret'],
          workDir: h.dir,
          timeoutSeconds: 5,
        }).done;
        expect(pbx.code, pbx.errors || pbx.stdout).toBe(0);
        expect(h.sessions).toHaveLength(1);
      } finally {
        guesser.close();
        await h.stop();
      }
    });

    it('refuses callers outside the ACL with 403 and never runs the handler', async () => {
      const h = await start({ inbound: { allow: ['10.0.0.0/8', '192.168.1.20'], auth: null } });
      try {
        const result = await runSipp({
          scenario: rejectScenario(h.dir, 403),
          target: h.sipTarget,
          localPort: await freeUdpPort(),
          keys: { caller: '1', codec: 0, rtp_port: 9 },
          workDir: h.dir,
        }).done;
        expect(result.code, result.errors || result.stdout).toBe(0);
        expect(h.sessions).toHaveLength(0);
      } finally {
        await h.stop();
      }
    });
  });
}
