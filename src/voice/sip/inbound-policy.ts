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
 *
 * Guessing: a wrong response or an unknown username counts against the
 * source address in a LoginGuard; a source past the limit gets 403 without a
 * challenge until its lock-out ends, its guesses unchecked. A nonce is signed
 * with the address it was sent to, and one presented from another address is
 * stale, not a failure: over UDP a source can be forged, and without this
 * anyone could get a nonce of their own and lock the PBX's address out with
 * guesses sent in its name. To count against an address one has to receive
 * what is sent to it. Only sources are locked, never a username: the PBX's
 * trunk is usually the one user, and a lock on it would let anyone who knows
 * its name keep the company's calls out (decision 0140).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIPv4, type BlockList } from 'node:net';
import * as sip from 'sip';
import * as digest from 'sip/digest.js';
import type { Registry } from 'prom-client';
import { LoginGuard, type GuardNames } from '../../shared/login-guard.js';
import type { Logger } from '../../shared/log.js';
import { blockList, unmappedIPv4 } from '../../shared/ip-address.js';

export interface InboundPolicyConfig {
  /** CIDRs allowed to send us requests; empty means everyone. */
  allow: string[];
  /** When set, INVITEs must authenticate as one of these users. */
  auth: { realm: string; users: { username: string; password: string }[]; guessing?: DigestGuessLimits } | null;
  nonceTtlMs?: number;
}

/** Failed digests one source address may send within the window before it is refused for the lock-out. */
export interface DigestGuessLimits {
  maxFailuresPerSource: number;
  windowSeconds: number;
  lockoutSeconds: number;
}

export const DEFAULT_DIGEST_GUESS_LIMITS: DigestGuessLimits = { maxFailuresPerSource: 10, windowSeconds: 300, lockoutSeconds: 300 };

/** The SIP digest guard's names in /metrics and the log, apart from the API's log-ins. */
export const SIP_DIGEST_GUESSES: GuardNames = {
  failuresMetric: 'telenode_sip_auth_failures_total',
  lockoutsMetric: 'telenode_sip_auth_lockouts_total',
  failuresHelp: 'Failed SIP digest authentications of INVITEs (wrong response or unknown user)',
  attempts: 'SIP digest log-ins',
};

/** The guard InboundPolicy takes: per source only (see above). */
export function digestGuard(limits: DigestGuessLimits, log: Logger, registry: Registry | null): LoginGuard {
  return new LoginGuard({ ...limits, maxFailuresPerUser: limits.maxFailuresPerSource }, log, registry, Date.now, SIP_DIGEST_GUESSES);
}

/**
 * What the digest check reads of an INVITE. Both engines' parsers give an Authorization header as the same record of
 * its parameters (values still quoted): the `sip` package's, and drachtio-srf's, which is derived from it.
 */
export interface DigestRequest {
  method: string;
  /** The Request-URI. */
  uri: string;
  /** The request's Authorization headers, parsed; none when it has none. */
  authorization: Record<string, string>[] | undefined;
}

export type AuthVerdict =
  | { ok: true; username: string | null }
  | { ok: false; challenge: Record<string, unknown>; stale: boolean }
  /** The source guessed too often: refuse (403) without a challenge. */
  | { ok: false; lockedForSeconds: number };

export class InboundPolicy {
  private readonly acl: BlockList | null;
  private readonly secret = randomBytes(32);
  private readonly nonceTtlMs: number;
  /** Nonces that proved a request: the highest nc used, and when the nonce was issued (for pruning). */
  private readonly usedNonces = new Map<string, { nc: number; issuedAt: number }>();

  constructor(
    private readonly config: InboundPolicyConfig,
    /** Counts failed digests per source; null: unlimited guessing (unit tests of the digest alone). */
    private readonly guard: LoginGuard | null = null,
  ) {
    this.nonceTtlMs = config.nonceTtlMs ?? 5 * 60_000;
    this.acl = config.allow.length === 0 ? null : blockList(config.allow);
  }

  allows(address: string): boolean {
    if (!this.acl) return true;
    const plain = unmappedIPv4(address);
    return this.acl.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  }

  get requiresAuth(): boolean {
    return this.config.auth !== null;
  }

  /** `source`: the address the request came from (its transport's, not its Via's). */
  authenticate(request: DigestRequest, source: string): AuthVerdict {
    const auth = this.config.auth;
    if (!auth) return { ok: true, username: null };
    const lockedForSeconds = this.guard?.lockedFor(source, null) ?? 0;
    if (lockedForSeconds > 0) return { ok: false, lockedForSeconds };
    const header = request.authorization?.find((h) => unquote(h['realm']) === auth.realm);
    if (!header) return { ok: false, challenge: this.challenge(false, source), stale: false };
    const nonce = unquote(header['nonce']);
    if (!this.nonceFresh(nonce, source)) return { ok: false, challenge: this.challenge(true, source), stale: true };
    const username = unquote(header['username']);
    const user = auth.users.find((u) => u.username === username);
    if (!user) return this.guessed(source);
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
    if (!ok) return this.guessed(source);
    if (!sameTarget(unquote(header['uri']), request.uri)) return { ok: false, challenge: this.challenge(false, source), stale: false };
    const nc = qop ? parseInt(unquote(header['nc']), 16) : 1;
    if (!Number.isFinite(nc) || !this.firstUseOf(nonce, nc)) return { ok: false, challenge: this.challenge(true, source), stale: true };
    return { ok: true, username };
  }

  /** A wrong password or an unknown user: counted against the source, and challenged again. */
  private guessed(source: string): AuthVerdict {
    this.guard?.failed(source, null);
    return { ok: false, challenge: this.challenge(false, source), stale: false };
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

  /** A nonce names its time and is signed with the address it was sent to (see the file's comment). */
  private challenge(stale: boolean, source: string): Record<string, unknown> {
    const issued = Date.now().toString(36);
    const nonce = `${issued}.${this.sign(`${issued}|${source}`)}`;
    return {
      scheme: 'Digest',
      realm: `"${this.config.auth!.realm}"`,
      nonce: `"${nonce}"`,
      qop: '"auth"',
      algorithm: 'MD5',
      ...(stale ? { stale: 'true' } : {}),
    };
  }

  private nonceFresh(nonce: string, source: string): boolean {
    const [issued, mac] = nonce.split('.');
    if (!issued || !mac || this.sign(`${issued}|${source}`) !== mac) return false;
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
