/** The password cache: scrypt once per (user, password), renewed in the background while the pair is in use. */
import { describe, expect, it } from 'vitest';
import { UserDirectory } from '../../../../src/api/http/auth.js';

const CACHE_MS = 60_000;

function directory(answers: boolean[] = []) {
  let now = 1_000_000;
  const checks: string[] = [];
  const users = new UserDirectory([{ username: 'alice', passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==' }], {
    cacheMs: CACHE_MS,
    now: () => now,
    // Stands in for scrypt: counts the runs, answers as told (right password by default).
    checkPassword: async (password) => {
      checks.push(password);
      return answers.shift() ?? password === 'right';
    },
  });
  const settled = () => new Promise((resolve) => setImmediate(resolve));
  return { users, checks, settled, advance: (ms: number) => (now += ms) };
}

describe('UserDirectory password cache', () => {
  it('runs scrypt once for a burst, and not again while the pair is remembered', async () => {
    const { users, checks } = directory();
    const burst = await Promise.all(Array.from({ length: 20 }, () => users.authenticate('alice', 'right', '10.0.0.1')));
    expect(burst.every((u) => u === 'alice')).toBe(true);
    expect(checks).toHaveLength(1);
    await users.authenticate('alice', 'right', '10.0.0.1');
    expect(checks).toHaveLength(1);
  });

  it('renews a pair in use before it expires, so a steady sender never waits for scrypt', async () => {
    const { users, checks, settled, advance } = directory();
    await users.authenticate('alice', 'right', '10.0.0.1');
    advance(CACHE_MS * 0.9); // in its last fifth: accepted at once, verified again behind the request
    await expect(users.authenticate('alice', 'right', '10.0.0.1')).resolves.toBe('alice');
    await settled();
    expect(checks).toHaveLength(2);
    advance(CACHE_MS * 0.5); // past the first verification's expiry, within the renewed one
    const verifying = users.authenticate('alice', 'right', '10.0.0.1');
    expect(checks).toHaveLength(2); // answered from the cache: no scrypt run started
    await expect(verifying).resolves.toBe('alice');
  });

  it('verifies again, in the request, a pair unused for longer than the cache keeps it', async () => {
    const { users, checks, advance } = directory();
    await users.authenticate('alice', 'right', '10.0.0.1');
    advance(CACHE_MS + 1);
    await users.authenticate('alice', 'right', '10.0.0.1');
    expect(checks).toHaveLength(2);
  });

  it('forgets a pair at once when its renewal fails', async () => {
    const { users, checks, settled, advance } = directory([true, false, false]);
    await users.authenticate('alice', 'right', '10.0.0.1');
    advance(CACHE_MS * 0.9);
    await users.authenticate('alice', 'right', '10.0.0.1'); // still within its time; the renewal says no
    await settled();
    await expect(users.authenticate('alice', 'right', '10.0.0.1')).rejects.toMatchObject({ code: 'TN_ERR_AUTH_FAILED' });
    expect(checks).toHaveLength(3);
  });
});
