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
 * New hashes: N = 2^13, r = 8, p = 4. The p lanes run one after another over the same block, so a check holds 8 MiB
 * (128·r·N, RFC 7914 §2) where the earlier default (N = 2^14, r = 8, p = 1, still verified as stored) held 16, and
 * takes about twice its time (~55 ms here): a guesser's memory × time per guess is the same, its work twice as large
 * by the OWASP Password Storage Cheat Sheet's measure (N·p, its list of equal settings), and a fresh node's first
 * log-in no longer sets its peak memory. p = 10, that list's entry for N = 2^13, took ~150 ms and held every request of
 * a fresh node's first burst that long (decision 0135).
 */
export const HASH_DEFAULTS = { N: 8192, r: 8, p: 4 } as const;
const KEY_LENGTH = 32;

/** The block one scrypt check holds: 128·r·N bytes (RFC 7914 §2). */
function blockBytes(N: number, r: number): number {
  return 128 * r * N;
}

/** Node's `maxmem` for a check: room for the block twice over. */
function maxmem(N: number, r: number): number {
  return 2 * blockBytes(N, r);
}

/**
 * `cost` other than the default is for passwords nobody chose (the warm-up copy's random one, src/app/warm-up.ts):
 * with nothing to guess a cheap hash is enough, and the default's 8 MiB and ~55 ms a check would be spent at every
 * start for nothing (and, where the unit's malloc environment is not set, stay resident in a thread's arena).
 */
export function hashPassword(password: string, cost: { N: number; r: number; p: number } = HASH_DEFAULTS): string {
  const salt = randomBytes(16);
  const { N, r, p } = cost;
  const hash = scryptSync(password, salt, KEY_LENGTH, { N, r, p, maxmem: maxmem(N, r) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** The memory one check of a hash `hashPassword` prints now holds. */
export const CHECK_MEMORY_BYTES = blockBytes(HASH_DEFAULTS.N, HASH_DEFAULTS.r);

/** The scrypt parameters a stored hash was made with, or null when it is not a scrypt hash. */
export function hashParameters(encoded: string): { N: number; r: number; p: number } | null {
  const match = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$/.exec(encoded);
  return match ? { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) } : null;
}

/** The memory one check of `encoded` holds, or null when it is not a scrypt hash. */
export function checkMemoryBytes(encoded: string): number | null {
  const params = hashParameters(encoded);
  return params ? blockBytes(params.N, params.r) : null;
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
