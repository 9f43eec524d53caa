/** Digest authentication of INVITEs (RFC 3261 §22.4): a captured Authorization header cannot be replayed. */
import type * as sip from 'sip';
import * as digest from 'sip/digest.js';
import { describe, expect, it } from 'vitest';
import { InboundPolicy } from '../../../../../src/voice/sip/builtin/inbound-policy.js';

const REALM = 'telenode';
const policy = () => new InboundPolicy({ allow: [], auth: { realm: REALM, users: [{ username: 'pbx', password: 's3cret' }] } });

function invite(callId: string, authorization?: Record<string, string>): sip.SipRequest {
  return {
    method: 'INVITE',
    uri: 'sip:100@127.0.0.1',
    version: '2.0',
    headers: {
      via: [],
      from: { uri: 'sip:pbx@127.0.0.1', params: { tag: 'a' } },
      to: { uri: 'sip:100@127.0.0.1', params: {} },
      'call-id': callId,
      cseq: { seq: 1, method: 'INVITE' },
      ...(authorization ? { authorization: [authorization] } : {}),
    },
    content: '',
  };
}

function answer(challenge: Record<string, unknown>, nc: string, uri = 'sip:100@127.0.0.1'): Record<string, string> {
  const nonce = String(challenge['nonce']).replace(/"/g, '');
  const cnonce = 'c0ffee';
  const response = digest.calculateDigest({
    ha1: digest.calculateUserRealmPasswordHash('pbx', REALM, 's3cret'),
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
    const first = p.authenticate(invite('c1'));
    expect(first.ok).toBe(false);
    const challenge = (first as { challenge: Record<string, unknown> }).challenge;
    const authorization = answer(challenge, '00000001');
    expect(p.authenticate(invite('c1', authorization))).toMatchObject({ ok: true, username: 'pbx' });
    expect(p.authenticate(invite('c2-replayed', authorization))).toMatchObject({ ok: false, stale: true });
    // the honest client counts up under the same nonce
    expect(p.authenticate(invite('c3', answer(challenge, '00000002')))).toMatchObject({ ok: true });
    expect(p.authenticate(invite('c4', answer(challenge, '00000002')))).toMatchObject({ ok: false });
  });

  it('refuses a digest computed for another Request-URI', () => {
    const p = policy();
    const challenge = (p.authenticate(invite('c1')) as { challenge: Record<string, unknown> }).challenge;
    expect(p.authenticate(invite('c1', answer(challenge, '00000001', 'sip:100@10.9.9.9')))).toMatchObject({ ok: false });
  });
});
