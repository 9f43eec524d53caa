/** Digest authentication of INVITEs (RFC 3261 §22.4): a captured Authorization header cannot be replayed. */
import * as digest from 'sip/digest.js';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { InboundPolicy, SIP_DIGEST_GUESSES, type DigestRequest } from '../../../../src/voice/sip/inbound-policy.js';
import { LoginGuard } from '../../../../src/shared/login-guard.js';
import { silentLogger } from '../../../../src/shared/log.js';

const REALM = 'telenode';
const SOURCE = '192.0.2.7';
const policy = () => new InboundPolicy({ allow: [], auth: { realm: REALM, users: [{ username: 'pbx', password: 's3cret' }] } });

/** An INVITE as either engine hands it to the policy; the Call-ID only tells the steps apart when one fails. */
function invite(_callId: string, authorization?: Record<string, string>): DigestRequest {
  return { method: 'INVITE', uri: 'sip:100@127.0.0.1', authorization: authorization ? [authorization] : undefined };
}

function answer(challenge: Record<string, unknown>, nc: string, uri = 'sip:100@127.0.0.1', password = 's3cret'): Record<string, string> {
  const nonce = String(challenge['nonce']).replace(/"/g, '');
  const cnonce = 'c0ffee';
  const response = digest.calculateDigest({
    ha1: digest.calculateUserRealmPasswordHash('pbx', REALM, password),
    nonce,
    nc,
    cnonce,
    qop: 'auth',
    method: 'INVITE',
    uri,
  });
  return {
    scheme: 'Digest',
    username: '"pbx"',
    realm: `"${REALM}"`,
    nonce: `"${nonce}"`,
    uri: `"${uri}"`,
    response: `"${response}"`,
    qop: 'auth',
    nc,
    cnonce: `"${cnonce}"`,
  };
}

describe('InboundPolicy digest', () => {
  it('accepts a proven INVITE once; the same Authorization on a new INVITE is challenged again (stale)', () => {
    const p = policy();
    const first = p.authenticate(invite('c1'), SOURCE);
    expect(first.ok).toBe(false);
    const challenge = (first as { challenge: Record<string, unknown> }).challenge;
    const authorization = answer(challenge, '00000001');
    expect(p.authenticate(invite('c1', authorization), SOURCE)).toMatchObject({ ok: true, username: 'pbx' });
    expect(p.authenticate(invite('c2-replayed', authorization), SOURCE)).toMatchObject({ ok: false, stale: true });
    // the honest client counts up under the same nonce
    expect(p.authenticate(invite('c3', answer(challenge, '00000002')), SOURCE)).toMatchObject({ ok: true });
    expect(p.authenticate(invite('c4', answer(challenge, '00000002')), SOURCE)).toMatchObject({ ok: false });
  });

  it('refuses a digest computed for another Request-URI', () => {
    const p = policy();
    const challenge = (p.authenticate(invite('c1'), SOURCE) as { challenge: Record<string, unknown> }).challenge;
    expect(p.authenticate(invite('c1', answer(challenge, '00000001', 'sip:100@10.9.9.9')), SOURCE)).toMatchObject({ ok: false });
  });

  it('locks out a source that guessed wrong too often, with no challenge to guess against, and no other source or the user', async () => {
    let now = 1_000_000;
    const registry = new Registry();
    const guard = new LoginGuard(
      { maxFailuresPerSource: 3, maxFailuresPerUser: 3, windowSeconds: 60, lockoutSeconds: 120 },
      silentLogger(),
      registry,
      () => now,
      SIP_DIGEST_GUESSES,
    );
    const p = new InboundPolicy({ allow: [], auth: { realm: REALM, users: [{ username: 'pbx', password: 's3cret' }] } }, guard);
    const challenge = (p.authenticate(invite('c0'), SOURCE) as { challenge: Record<string, unknown> }).challenge;
    // Asking for a challenge, and a nonce gone stale, are how honest clients start: never counted.
    for (let i = 0; i < 5; i++) expect(p.authenticate(invite(`ask${i}`), SOURCE)).toMatchObject({ ok: false, stale: false });
    const stale = { ...answer(challenge, '00000001'), nonce: '"0.forged"' };
    for (let i = 0; i < 5; i++) expect(p.authenticate(invite(`stale${i}`, stale), SOURCE)).toMatchObject({ ok: false, stale: true });
    // Three wrong passwords (or unknown users) from one address: its next request, right or wrong, is refused unchecked.
    for (let i = 1; i <= 3; i++)
      expect(p.authenticate(invite(`g${i}`, answer(challenge, `0000000${i}`, undefined, `guess${i}`)), SOURCE)).toHaveProperty('challenge');
    expect(p.authenticate(invite('right', answer(challenge, '00000004')), SOURCE)).toEqual({ ok: false, lockedForSeconds: 120 });
    expect(p.authenticate(invite('ask'), SOURCE)).toEqual({ ok: false, lockedForSeconds: 120 });
    // The user is not locked: the PBX on its own address still gets in.
    const pbxChallenge = (p.authenticate(invite('pbx0'), '192.0.2.99') as { challenge: Record<string, unknown> }).challenge;
    expect(p.authenticate(invite('pbx', answer(pbxChallenge, '00000001')), '192.0.2.99')).toMatchObject({ ok: true, username: 'pbx' });
    now += 121_000;
    const fresh = (p.authenticate(invite('c9'), SOURCE) as { challenge: Record<string, unknown> }).challenge;
    expect(p.authenticate(invite('after', answer(fresh, '00000001')), SOURCE)).toMatchObject({ ok: true });
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/^telenode_sip_auth_failures_total 3$/m);
    expect(metrics).toMatch(/^telenode_sip_auth_lockouts_total\{scope="source"\} 1$/m);
  });

  it("counts no guess sent in another address's name: a nonce is good only from the address it was sent to", () => {
    const guard = new LoginGuard(
      { maxFailuresPerSource: 3, maxFailuresPerUser: 3, windowSeconds: 60, lockoutSeconds: 120 },
      silentLogger(),
      null,
      Date.now,
      SIP_DIGEST_GUESSES,
    );
    const p = new InboundPolicy({ allow: [], auth: { realm: REALM, users: [{ username: 'pbx', password: 's3cret' }] } }, guard);
    const pbx = '192.0.2.99';
    // The attacker asks for a nonce from its own address, then forges UDP INVITEs from the PBX's with wrong digests.
    const attackers = (p.authenticate(invite('a0'), SOURCE) as { challenge: Record<string, unknown> }).challenge;
    for (let i = 1; i <= 5; i++)
      expect(p.authenticate(invite(`forged${i}`, answer(attackers, `0000000${i}`, undefined, 'guess')), pbx)).toMatchObject({ ok: false, stale: true });
    // Not counted: the PBX is let in, and so is the attacker's own right answer (it has no failures either).
    const pbxChallenge = (p.authenticate(invite('p0'), pbx) as { challenge: Record<string, unknown> }).challenge;
    expect(p.authenticate(invite('p1', answer(pbxChallenge, '00000001')), pbx)).toMatchObject({ ok: true });
    expect(guard.lockedFor(pbx, null)).toBe(0);
  });
});
