/**
 * Who may call us: an ACL of source networks (CIDR) and, optionally, digest
 * authentication of INVITEs (RFC 3261 §22.4, qop=auth). Nonces carry their
 * issue time and an HMAC, so no state is kept per challenge, and one older
 * than `nonceTtlMs` is refused with a fresh challenge (stale=true).
 *
 * Replays: a nonce that has proven a request is remembered with the highest
 * nonce count (nc) it was used with (RFC 2617 §3.2.2: the client increases nc
 * with each request under one nonce); the same or a lower nc again is a
 * replayed Authorization header and is challenged afresh. Without qop there is
 * no nc, so such a nonce proves one request only. The digest's uri must name
 * the same host and port as the Request-URI (RFC 2617 §3.2.2.5 asks for the
 * same URI; sipp and some PBXs send it without the user part).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv4 } from 'node:net';
import * as sip from 'sip';
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
  /** Nonces that proved a request: the highest nc used, and when the nonce was issued (for pruning). */
  private readonly usedNonces = new Map<string, { nc: number; issuedAt: number }>();

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
    if (!ok || !sameTarget(unquote(header['uri']), request.uri)) return { ok: false, challenge: this.challenge(false), stale: false };
    const nc = qop ? parseInt(unquote(header['nc']), 16) : 1;
    if (!Number.isFinite(nc) || !this.firstUseOf(nonce, nc)) return { ok: false, challenge: this.challenge(true), stale: true };
    return { ok: true, username };
  }

  /** Record this (nonce, nc); false when it, or a later count, already proved a request. */
  private firstUseOf(nonce: string, nc: number): boolean {
    const used = this.usedNonces.get(nonce);
    if (used && nc <= used.nc) return false;
    this.usedNonces.set(nonce, { nc, issuedAt: used?.issuedAt ?? parseInt(nonce.split('.')[0]!, 36) });
    if (this.usedNonces.size > 1000) this.forgetExpiredNonces();
    return true;
  }

  private forgetExpiredNonces(): void {
    const oldest = Date.now() - this.nonceTtlMs;
    for (const [nonce, used] of this.usedNonces) if (used.issuedAt < oldest) this.usedNonces.delete(nonce);
  }

  private challenge(stale: boolean): Record<string, unknown> {
    const issued = Date.now().toString(36);
    const nonce = `${issued}.${this.sign(issued)}`;
    return {
      scheme: 'Digest',
      realm: `"${this.config.auth!.realm}"`,
      nonce: `"${nonce}"`,
      qop: '"auth"',
      algorithm: 'MD5',
      ...(stale ? { stale: 'true' } : {}),
    };
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

function sameTarget(digestUri: string, requestUri: string): boolean {
  const a = sip.parseUri(digestUri);
  const b = sip.parseUri(requestUri);
  return a !== undefined && b !== undefined && a.host.toLowerCase() === b.host.toLowerCase() && (a.port || 5060) === (b.port || 5060);
}

function unquote(value: string | undefined): string {
  if (!value) return '';
  return value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
