/**
 * Who may use the console and its endpoints: an admin user (`users[].admin`), proven by the console's session
 * cookie or, for scripts, by HTTP Basic. A request with the cookie that changes something must also carry the
 * session's CSRF token in `x-csrf-token` and come from a page of this origin; the cookie is SameSite=Strict
 * as well (RFC 6265bis §5.4.7), three locks where one would do, since an operator's browser is the target.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { UserDirectory } from '../http/auth.js';
import { basicAuthUser } from '../http/basic-auth.js';
import { refuseCrossOrigin } from '../http/same-origin.js';
import { SESSION_COOKIE, csrfMatches, type ConsoleSession, type ConsoleSessions } from './sessions.js';

export interface AdminIdentity {
  username: string;
  /** The console session when the request came with its cookie; null for HTTP Basic. */
  session: ConsoleSession | null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export async function requireAdmin(request: FastifyRequest, users: UserDirectory, sessions: ConsoleSessions): Promise<AdminIdentity> {
  refuseCrossOrigin(request);
  const session = sessions.find(cookieValue(request, SESSION_COOKIE));
  if (session) {
    if (!SAFE_METHODS.has(request.method) && !csrfMatches(session, headerValue(request, 'x-csrf-token'))) {
      throw new AppError(ErrorCode.REQUEST_CSRF, 'this request needs the console session’s x-csrf-token header');
    }
    return { username: session.username, session };
  }
  const username = await basicAuthUser(request, users);
  if (username === null) {
    if (request.headers.authorization !== undefined) throw new AppError(ErrorCode.AUTH_FAILED, 'wrong username or password');
    throw new AppError(ErrorCode.AUTH_REQUIRED, 'log in to the console, or send HTTP Basic credentials of an admin user');
  }
  if (!users.isAdmin(username)) throw new AppError(ErrorCode.AUTH_FORBIDDEN, `user '${username}' does not have the admin role`);
  return { username, session: null };
}

/** Set-Cookie for a new session: HTTP-only, SameSite=Strict, the console's path only; Secure over HTTPS. */
export function sessionCookie(request: FastifyRequest, token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${request.protocol === 'https' ? '; Secure' : ''}`;
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0`);
}

/** A cookie's value from the Cookie header (RFC 6265 §5.4: `name=value` pairs separated by "; "). */
export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
