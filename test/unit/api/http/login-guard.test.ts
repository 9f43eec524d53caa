/** Password guessing: lock-outs per source and per user, and no timing difference between unknown and known users. */
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { UserDirectory } from '../../../../src/api/http/auth.js';
import { LoginGuard } from '../../../../src/shared/login-guard.js';
import { silentLogger } from '../../../../src/shared/log.js';
import { hashPassword } from '../../../../src/shared/password-hash.js';

const alice = { username: 'alice', passwordHash: hashPassword('right') };

function directory(limits = { maxFailuresPerSource: 3, maxFailuresPerUser: 5, windowSeconds: 60, lockoutSeconds: 120 }) {
  let now = 1_000_000;
  const registry = new Registry();
  const guard = new LoginGuard(limits, silentLogger(), registry, () => now);
  const users = new UserDirectory([alice], { guard, now: () => now, cacheMs: 0 });
  return { users, registry, advance: (ms: number) => (now += ms) };
}

describe('LoginGuard', () => {
  it('locks a source out after too many failures, even for the right password, and lets it in again later', async () => {
    const { users, registry, advance } = directory();
    for (let i = 0; i < 3; i++) await expect(users.authenticate('alice', 'guess', '10.0.0.1')).rejects.toMatchObject({ code: 'TN_ERR_AUTH_FAILED' });
    await expect(users.authenticate('alice', 'right', '10.0.0.1')).rejects.toMatchObject({ code: 'TN_ERR_AUTH_LOCKED', details: { retryAfterSeconds: 120 } });
    // another address is not locked (the user has 3 of 5 failures)
    await expect(users.authenticate('alice', 'right', '10.0.0.2')).resolves.toBe('alice');
    advance(121_000);
    await expect(users.authenticate('alice', 'right', '10.0.0.1')).resolves.toBe('alice');
    expect(await registry.getSingleMetricAsString('telenode_auth_lockouts_total')).toContain('scope="source"} 1');
    expect(await registry.getSingleMetricAsString('telenode_auth_failures_total')).toMatch(/telenode_auth_failures_total 3/);
  });

  it('counts an IPv6 source by its /64, where one attacker has 2^64 addresses; IPv4, v4-mapped and NAT64 hosts each on their own', async () => {
    const { users } = directory({ maxFailuresPerSource: 3, maxFailuresPerUser: 100, windowSeconds: 60, lockoutSeconds: 120 });
    for (const address of ['2001:db8:1:2::1', '2001:db8:1:2:ffff::9', '2001:0db8:0001:0002:0:0:0:abcd'])
      await expect(users.authenticate('alice', 'guess', address)).rejects.toMatchObject({ code: 'TN_ERR_AUTH_FAILED' });
    await expect(users.authenticate('alice', 'right', '2001:db8:1:2::42')).rejects.toMatchObject({ code: 'TN_ERR_AUTH_LOCKED' });
    await expect(users.authenticate('alice', 'right', '2001:db8:1:3::1')).resolves.toBe('alice');
    for (let i = 1; i <= 3; i++) await expect(users.authenticate('alice', 'guess', '::ffff:192.0.2.1')).rejects.toMatchObject({ code: 'TN_ERR_AUTH_FAILED' });
    await expect(users.authenticate('alice', 'right', '192.0.2.1')).rejects.toMatchObject({ code: 'TN_ERR_AUTH_LOCKED' });
    for (let i = 1; i <= 3; i++)
      await expect(users.authenticate('alice', 'guess', '64:ff9b::198.51.100.1')).rejects.toMatchObject({ code: 'TN_ERR_AUTH_FAILED' });
    await expect(users.authenticate('alice', 'right', '64:ff9b::198.51.100.2')).resolves.toBe('alice');
  });

  it('locks a user out when the guesses come from many addresses', async () => {
    const { users } = directory();
    for (let i = 0; i < 5; i++) await expect(users.authenticate('alice', `guess${i}`, `10.0.1.${i}`)).rejects.toMatchObject({ code: 'TN_ERR_AUTH_FAILED' });
    await expect(users.authenticate('alice', 'right', '10.0.2.1')).rejects.toMatchObject({ code: 'TN_ERR_AUTH_LOCKED' });
  });

  it('counts unknown API keys per source', () => {
    const { users } = directory();
    for (let i = 0; i < 3; i++) expect(() => users.authenticateApiKey(`nope${i}`, '10.0.0.9')).toThrow(expect.objectContaining({ code: 'TN_ERR_AUTH_FAILED' }));
    expect(() => users.authenticateApiKey('nope', '10.0.0.9')).toThrow(expect.objectContaining({ code: 'TN_ERR_AUTH_LOCKED' }));
  });

  it('spends as long on an unknown user as on a wrong password (no user enumeration by timing)', async () => {
    const { users } = directory({ maxFailuresPerSource: 1000, maxFailuresPerUser: 1000, windowSeconds: 60, lockoutSeconds: 1 });
    const time = async (username: string) => {
      const start = performance.now();
      await users.authenticate(username, 'wrong', '10.0.0.3').catch(() => undefined);
      return performance.now() - start;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(await time('alice'));
      unknown.push(await time(`nobody${i}`));
    }
    // Before: the unknown user answered ~26× faster. Both now run one scrypt of the same cost.
    expect(median(unknown)).toBeGreaterThan(median(known) / 3);
  });
});
