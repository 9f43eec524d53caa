/**
 * API users and their scrypt-hashed passwords. Verifying scrypt costs tens of
 * milliseconds by design, so a successful (username, password) pair is
 * remembered for `cacheMs` under a SHA-256 of the password: the API keeps its
 * throughput while a stolen cache entry still reveals no password. A pair in
 * use is verified again in the background during its last fifth, so a steady
 * sender never has a burst of requests wait behind scrypt when it expires.
 * API keys (random, so hashed with plain SHA-256) are looked up by their hash.
 *
 * `authenticate` is what the dialects call: it consults the LoginGuard first
 * (a locked-out source or user is refused before any hashing), counts every
 * failure, and checks an unknown username against a dummy hash of the same
 * cost, so a wrong password for a real user and an unknown user take the
 * same time and the answer tells nothing about which usernames exist.
 *
 * At most CONCURRENT_CHECKS scrypt runs at once, for every user and source together; the others wait their turn.
 * scrypt runs in libuv's thread pool (four threads unless UV_THREADPOOL_SIZE says otherwise), where the store's WAL
 * fsync (store/sqlite/wal-sync.ts), file reads and DNS lookups run too: guesses from many addresses — each gets some
 * before its lock-out, and an IPv6 network has addresses without end — would otherwise keep every thread busy, and
 * every accepted message's answer would wait behind them. Remembered pairs (a steady sender) do not wait at all.
 */
import crypto from 'node:crypto';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { HASH_DEFAULTS, hashParameters, verifyPassword } from '../../shared/password-hash.js';
import { hashApiKey } from '../../shared/api-key.js';
import { ConcurrencyLimit } from '../../shared/concurrency-limit.js';
import type { LoginGuard } from '../../shared/login-guard.js';

/** scrypt runs at once at most: half of libuv's default four threads, the other half left to the disk and DNS. */
const CONCURRENT_CHECKS = 2;

/** The one API user a config without `users` gets, with a generated password (app/daemon.ts). */
export const GENERATED_ADMIN_USER = 'admin';

export interface ApiUser {
  username: string;
  passwordHash: string;
  /** `sha256$<hex>` of the user's API keys. */
  apiKeyHashes?: readonly string[];
  /** Phone numbers the user owns (inbound history, ControlSms, Acrobits sender). */
  numbers?: readonly string[];
  /** The Voximplant account id its requests must name (`account_id`, or a service-account JWT's `iss`); null: any. */
  voximplantAccountId?: string | null;
  /** May use the operator console and its endpoints. */
  admin?: boolean;
}

export class UserDirectory {
  private readonly users: Map<string, ApiUser>;
  private readonly byApiKeyHash: Map<string, string>;
  private readonly verified = new Map<string, number>();
  /** Verifications under way: a burst of requests with the same credentials shares one scrypt run. */
  private readonly verifying = new Map<string, Promise<boolean>>();

  /** Same scrypt parameters as the first user's hash, a random salt and digest: verifying against it always fails, at full cost. */
  private readonly dummyHash: string;

  private readonly cacheMs: number;
  private readonly now: () => number;
  private readonly guard: LoginGuard | null;
  private readonly checkPassword: (password: string, hash: string) => Promise<boolean>;

  constructor(
    users: readonly ApiUser[],
    options: {
      cacheMs?: number;
      now?: () => number;
      guard?: LoginGuard;
      checkPassword?: (password: string, hash: string) => Promise<boolean>;
      concurrentChecks?: number;
    } = {},
  ) {
    this.cacheMs = options.cacheMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.guard = options.guard ?? null;
    const checkPassword = options.checkPassword ?? verifyPassword;
    const checks = new ConcurrencyLimit(options.concurrentChecks ?? CONCURRENT_CHECKS);
    this.checkPassword = (password, hash) => checks.run(() => checkPassword(password, hash));
    this.users = new Map(users.map((u) => [u.username, u]));
    this.byApiKeyHash = new Map(users.flatMap((u) => (u.apiKeyHashes ?? []).map((hash) => [hash, u.username] as const)));
    const { N, r, p } = hashParameters(users[0]?.passwordHash ?? '') ?? HASH_DEFAULTS;
    this.dummyHash = `scrypt$${N}$${r}$${p}$${crypto.randomBytes(16).toString('base64')}$${crypto.randomBytes(32).toString('base64')}`;
  }

  /**
   * The username these credentials prove. Throws AUTH_FAILED (wrong or unknown; the same answer
   * either way) or AUTH_LOCKED (too many failures from `source` or for `username`; details.retryAfterSeconds).
   */
  async authenticate(username: string, password: string, source: string): Promise<string> {
    this.refuseIfLocked(source, username);
    if (await this.verify(username, password)) return username;
    this.guard?.failed(source, username);
    throw new AppError(ErrorCode.AUTH_FAILED, 'wrong username or password');
  }

  /** The user an API key belongs to; the same failures and lock-out as `authenticate`. */
  authenticateApiKey(key: string, source: string): string {
    this.refuseIfLocked(source, null);
    const username = this.userForApiKey(key);
    if (username !== undefined) return username;
    this.guard?.failed(source, null);
    throw new AppError(ErrorCode.AUTH_FAILED, 'unknown API key');
  }

  private refuseIfLocked(source: string, username: string | null): void {
    const seconds = this.guard?.lockedFor(source, username) ?? 0;
    if (seconds > 0) {
      throw new AppError(ErrorCode.AUTH_LOCKED, `too many failed log-ins; try again in ${seconds} s`, {
        retryable: true,
        details: { retryAfterSeconds: seconds },
      });
    }
  }

  /**
   * A username proven by other means (a signed token): `prove` resolves with the user, or null when the proof
   * fails. The same lock-out and failure counting as passwords and keys.
   */
  async authenticateBy(source: string, prove: () => Promise<string | null>): Promise<string> {
    this.refuseIfLocked(source, null);
    const username = await prove();
    if (username !== null && this.users.has(username)) return username;
    this.guard?.failed(source, null);
    throw new AppError(ErrorCode.AUTH_FAILED, 'invalid token');
  }

  /** The Voximplant account id configured for the user (null: not configured). */
  voximplantAccountIdOf(username: string): string | null {
    return this.users.get(username)?.voximplantAccountId ?? null;
  }

  /** The user an API key belongs to, if any. */
  userForApiKey(key: string): string | undefined {
    return key.length === 0 ? undefined : this.byApiKeyHash.get(hashApiKey(key));
  }

  /** Phone numbers `username` owns (empty for an unknown user). */
  numbersOf(username: string): readonly string[] {
    return this.users.get(username)?.numbers ?? [];
  }

  /** True when the user exists and the password is right. */
  async verify(username: string, password: string): Promise<boolean> {
    const user = this.users.get(username);
    if (!user) {
      await this.checkPassword(password, this.dummyHash);
      return false;
    }
    const key = `${username}\u0000${sha256Base64(password)}`;
    const until = this.verified.get(key);
    const now = this.now();
    if (until !== undefined && until > now) {
      // A burst after expiry would all wait for one scrypt run (tens of ms): renew an entry in use before then.
      if (until - now < this.cacheMs / 5) this.verifyOnce(key, password, user.passwordHash).catch(() => undefined);
      return true;
    }
    return this.verifyOnce(key, password, user.passwordHash);
  }

  /** One scrypt run per pair at a time, however many requests ask; remembers the answer for `cacheMs`. */
  private verifyOnce(key: string, password: string, hash: string): Promise<boolean> {
    let pending = this.verifying.get(key);
    if (!pending) {
      pending = this.checkPassword(password, hash)
        .then((ok) => {
          if (ok) this.verified.set(key, this.now() + this.cacheMs);
          else this.verified.delete(key);
          return ok;
        })
        .finally(() => this.verifying.delete(key));
      this.verifying.set(key, pending);
    }
    return pending;
  }

  isAdmin(username: string): boolean {
    return this.users.get(username)?.admin === true;
  }

  has(username: string): boolean {
    return this.users.has(username);
  }
}

/**
 * SHA-256 of a password, base64: the cache key of every API request that carries one. Node's one-shot `crypto.hash`
 * (20.12 and later) skips the Hash object: about a third of `createHash().update().digest()`'s time.
 */
const sha256Base64: (text: string) => string =
  // `engines` allows any Node 20; before 20.12 there is no crypto.hash.
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'base64') : (text) => crypto.createHash('sha256').update(text).digest('base64');
