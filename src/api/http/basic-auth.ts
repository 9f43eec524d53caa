/**
 * HTTP Basic authentication (RFC 7617) against the API users, for telenode's
 * own JSON endpoints (/contacts). The dialects keep their own schemes.
 */
import type { FastifyRequest } from 'fastify';
import { ErrorCode, isAppError } from '../../shared/errors.js';
import type { UserDirectory } from './auth.js';

/** The authenticated username, or null (missing or wrong credentials); AUTH_LOCKED when the source or user is locked out. */
export async function basicAuthUser(request: FastifyRequest, users: UserDirectory): Promise<string | null> {
  const header = request.headers.authorization;
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const username = decoded.slice(0, colon);
  try {
    return await users.authenticate(username, decoded.slice(colon + 1), request.ip);
  } catch (err) {
    if (isAppError(err) && err.code === ErrorCode.AUTH_FAILED) return null;
    throw err;
  }
}
