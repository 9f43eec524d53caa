/**
 * API users and their scrypt-hashed passwords. Verifying scrypt costs tens of
 * milliseconds by design, so a successful (username, password) pair is
 * remembered for `cacheMs` under a SHA-256 of the password: the API keeps its
 * throughput while a stolen cache entry still reveals no password.
 * API keys (random, so hashed with plain SHA-256) are looked up by their hash.
 */
import { createHash } from 'node:crypto';
import { verifyPassword } from '../shared/password-hash.js';
import { hashApiKey } from '../shared/api-key.js';

/** The one API user a config without `users` gets, with a generated password (daemon.ts). */
export const GENERATED_ADMIN_USER = 'admin';

export interface ApiUser {
  username: string;
  passwordHash: string;
  /** `sha256$<hex>` of the user's API keys. */
  apiKeyHashes?: readonly string[];
  /** Phone numbers the user owns (inbound history, ControlSms, Acrobits sender). */
  numbers?: readonly string[];
}

export class UserDirectory {
  private readonly users: Map<string, ApiUser>;
  private readonly byApiKeyHash: Map<string, string>;
  private readonly verified = new Map<string, number>();
  /** Verifications under way: a burst of requests with the same credentials shares one scrypt run. */
  private readonly verifying = new Map<string, Promise<boolean>>();

  constructor(
    users: readonly ApiUser[],
    private readonly cacheMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new Map(users.map((u) => [u.username, u]));
    this.byApiKeyHash = new Map(users.flatMap((u) => (u.apiKeyHashes ?? []).map((hash) => [hash, u.username] as const)));
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
    if (!user) return false;
    const key = `${username}\u0000${createHash('sha256').update(password).digest('base64')}`;
    const until = this.verified.get(key);
    if (until !== undefined && until > this.now()) return true;
    let pending = this.verifying.get(key);
    if (!pending) {
      pending = verifyPassword(password, user.passwordHash).finally(() => this.verifying.delete(key));
      this.verifying.set(key, pending);
    }
    const ok = await pending;
    if (ok) this.verified.set(key, this.now() + this.cacheMs);
    return ok;
  }

  has(username: string): boolean {
    return this.users.has(username);
  }
}
