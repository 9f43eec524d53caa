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

const DEFAULTS = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;

function maxmem(N: number, r: number): number {
  return 256 * N * r;
}

/**
 * `cost` other than the default is for passwords nobody chose (the warm-up copy's random one, src/app/warm-up.ts):
 * with nothing to guess a cheap hash is enough, and the default's 16 MiB of scrypt memory would stay resident in a
 * thread's malloc arena for the life of the process.
 */
export function hashPassword(password: string, cost: { N: number; r: number; p: number } = DEFAULTS): string {
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
