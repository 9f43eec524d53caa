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

describe('UserDirectory password checks', () => {
  it('runs at most two scrypt checks at once, for every user and source together, the others in their turn', async () => {
    let running = 0;
    let most = 0;
    const finish: Array<() => void> = [];
    const users = new UserDirectory([{ username: 'alice', passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==' }], {
      // Stands in for scrypt: each check runs until the test lets it finish.
      checkPassword: (password) => {
        most = Math.max(most, ++running);
        return new Promise((resolve) =>
          finish.push(() => {
            running--;
            resolve(password === 'right');
          }),
        );
      },
    });
    // Guesses from ten addresses, for a real user and for unknown ones, and alice's own first log-in last.
    const guesses = Array.from({ length: 10 }, (_, i) =>
      users.authenticate(i % 2 ? 'alice' : `nobody${i}`, `guess${i}`, `10.0.0.${i}`).then(
        () => 'in',
        () => 'refused',
      ),
    );
    const alice = users.authenticate('alice', 'right', '10.0.1.1');
    const settled = () => new Promise((resolve) => setImmediate(resolve));
    for (let turn = 0; turn < 20 && finish.length > 0; turn++) {
      await settled();
      expect(running).toBeLessThanOrEqual(2);
      finish.shift()!();
      await settled();
    }
    expect(await Promise.all(guesses)).toEqual(Array(10).fill('refused'));
    await expect(alice).resolves.toBe('alice');
    expect(most).toBe(2);
  });
});
