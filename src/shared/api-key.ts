/**
 * API keys (Voximplant-style `api_key`): 32 random bytes, base64url. Only a
 * SHA-256 of a key is configured (`sha256$<hex>`). A fast hash is enough here
 * because the keys are random, not chosen by people: there is nothing to
 * guess, and a request can be matched by looking its hash up, without a slow
 * KDF per request.
 */
import { createHash, randomBytes } from 'node:crypto';

export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return `sha256$${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}
