/**
 * API users and their scrypt-hashed passwords. Verifying scrypt costs tens of
 * milliseconds by design, so a successful (username, password) pair is
 * remembered for `cacheMs` under a SHA-256 of the password: the API keeps its
 * throughput while a stolen cache entry still reveals no password.
 */
import { createHash } from 'node:crypto';
import { verifyPassword } from '../shared/password-hash.js';

export interface ApiUser {
  username: string;
  passwordHash: string;
}

export class UserDirectory {
  private readonly users: Map<string, ApiUser>;
  private readonly verified = new Map<string, number>();
  /** Verifications under way: a burst of requests with the same credentials shares one scrypt run. */
  private readonly verifying = new Map<string, Promise<boolean>>();

  constructor(
    users: readonly ApiUser[],
    private readonly cacheMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new Map(users.map((u) => [u.username, u]));
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
