/**
 * API passwords are stored as scrypt hashes: `scrypt$N$r$p$salt$hash`
 * (base64 salt and hash). `telenode hash-password` prints one.
 */
import { randomBytes, scrypt as scryptCb, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/**
 * New hashes: N = 2^13, r = 8, p = 10 — one of the settings the OWASP Password Storage Cheat Sheet lists as equal in
 * strength to its minimum (N = 2^17, r = 8, p = 1); N = 2^14, r = 8, p = 1 (the earlier default, still verified as
 * stored) was below all of them. The p lanes run one after another over the same block, so a check holds 8 MiB
 * (128·r·N, RFC 7914 §2) where the earlier one held 16, for ~3× its time (~150 ms here): the first log-in of each
 * credential no longer sets the node's peak memory (decision 0135).
 */
export const HASH_DEFAULTS = { N: 8192, r: 8, p: 10 } as const;
const KEY_LENGTH = 32;

function maxmem(N: number, r: number): number {
  return 256 * N * r;
}

/**
 * `cost` other than the default is for passwords nobody chose (the warm-up copy's random one, src/app/warm-up.ts):
 * with nothing to guess a cheap hash is enough, and the default's 8 MiB of scrypt memory would stay resident in a
 * thread's malloc arena for the life of the process.
 */
export function hashPassword(password: string, cost: { N: number; r: number; p: number } = HASH_DEFAULTS): string {
  const salt = randomBytes(16);
  const { N, r, p } = cost;
  const hash = scryptSync(password, salt, KEY_LENGTH, { N, r, p, maxmem: maxmem(N, r) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  const expected = Buffer.from(hashB64, 'base64');
  const actual = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, {
    N,
    r: R,
    p: P,
    maxmem: maxmem(N, R),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
