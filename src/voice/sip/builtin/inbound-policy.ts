/**
 * Who may call us: an ACL of source networks (CIDR) and, optionally, digest
 * authentication of INVITEs (RFC 3261 §22.4, qop=auth). Nonces carry their
 * issue time and an HMAC, so no state is kept per challenge and a replay
 * after `nonceTtlMs` is refused with a fresh challenge.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv4 } from 'node:net';
import type * as sip from 'sip';
import * as digest from 'sip/digest.js';

export interface InboundPolicyConfig {
  /** CIDRs allowed to send us requests; empty means everyone. */
  allow: string[];
  /** When set, INVITEs must authenticate as one of these users. */
  auth: { realm: string; users: { username: string; password: string }[] } | null;
  nonceTtlMs?: number;
}

export type AuthVerdict = { ok: true; username: string | null } | { ok: false; challenge: Record<string, unknown>; stale: boolean };

export class InboundPolicy {
  private readonly acl: BlockList | null;
  private readonly secret = randomBytes(32);
  private readonly nonceTtlMs: number;

  constructor(private readonly config: InboundPolicyConfig) {
    this.nonceTtlMs = config.nonceTtlMs ?? 5 * 60_000;
    if (config.allow.length === 0) {
      this.acl = null;
    } else {
      this.acl = new BlockList();
      for (const cidr of config.allow) {
        const [network, bits] = cidr.split('/');
        const type = isIPv4(network!) ? 'ipv4' : 'ipv6';
        if (bits === undefined) this.acl.addAddress(network!, type);
        else this.acl.addSubnet(network!, Number(bits), type);
      }
    }
  }

  allows(address: string): boolean {
    if (!this.acl) return true;
    const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
    return this.acl.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  }

  get requiresAuth(): boolean {
    return this.config.auth !== null;
  }

  authenticate(request: sip.SipRequest): AuthVerdict {
    const auth = this.config.auth;
    if (!auth) return { ok: true, username: null };
    const header = (request.headers['authorization'] as Record<string, string>[] | undefined)?.find((h) => unquote(h['realm']) === auth.realm);
    if (!header) return { ok: false, challenge: this.challenge(false), stale: false };
    const nonce = unquote(header['nonce']);
    if (!this.nonceFresh(nonce)) return { ok: false, challenge: this.challenge(true), stale: true };
    const username = unquote(header['username']);
    const user = auth.users.find((u) => u.username === username);
    if (!user) return { ok: false, challenge: this.challenge(false), stale: false };
    const qop = unquote(header['qop']);
    const expected = digest.calculateDigest({
      ha1: digest.calculateUserRealmPasswordHash(username, auth.realm, user.password),
      nonce,
      nc: qop ? unquote(header['nc']) : undefined,
      cnonce: qop ? unquote(header['cnonce']) : undefined,
      qop: qop || undefined,
      method: request.method,
      uri: unquote(header['uri']),
    });
    const given = Buffer.from(unquote(header['response']));
    const ok = given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
    return ok ? { ok: true, username } : { ok: false, challenge: this.challenge(false), stale: false };
  }

  private challenge(stale: boolean): Record<string, unknown> {
    const issued = Date.now().toString(36);
    const nonce = `${issued}.${this.sign(issued)}`;
    return { scheme: 'Digest', realm: `"${this.config.auth!.realm}"`, nonce: `"${nonce}"`, qop: '"auth"', algorithm: 'MD5', ...(stale ? { stale: 'true' } : {}) };
  }

  private nonceFresh(nonce: string): boolean {
    const [issued, mac] = nonce.split('.');
    if (!issued || !mac || this.sign(issued) !== mac) return false;
    const at = parseInt(issued, 36);
    return Number.isFinite(at) && Date.now() - at < this.nonceTtlMs;
  }

  private sign(value: string): string {
    return createHmac('sha256', this.secret).update(value).digest('base64url').slice(0, 22);
  }
}

function unquote(value: string | undefined): string {
  if (!value) return '';
  return value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
