/**
 * Console sessions: a random token in an HTTP-only, SameSite=Strict cookie names a session held in this
 * process's memory, with the CSRF token the page must echo in `x-csrf-token` for every change (OWASP's
 * synchronizer-token pattern). Only a SHA-256 of the cookie's token is kept, so a heap dump shows no usable
 * session. A restart ends every session (an operator logs in again); in a cluster each node has its own, so a
 * load balancer keeps a console on one node (docs/console.md).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'telenode_console';

export interface ConsoleSession {
  username: string;
  csrfToken: string;
  expiresAt: number;
  /** Set at log-out: a live channel opened with the session ends with it. */
  closed?: boolean;
}

/** Sessions kept at most; the least recently used goes first (a log-in flood must not grow memory). */
const MAX_SESSIONS = 10_000;

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new session for `username`: the cookie's token (given to the browser once) and the session. */
  open(username: string): { token: string; session: ConsoleSession } {
    const token = randomBytes(32).toString('base64url');
    const session = { username, csrfToken: randomBytes(24).toString('base64url'), expiresAt: this.now() + this.idleMs };
    this.sessions.set(digest(token), session);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return { token, session };
  }

  /** The live session of a cookie's token; each use moves its idle end on. */
  find(token: string | undefined): ConsoleSession | null {
    if (!token) return null;
    const key = digest(token);
    const session = this.sessions.get(key);
    if (!session) return null;
    const now = this.now();
    if (session.expiresAt <= now) {
      this.sessions.delete(key);
      return null;
    }
    session.expiresAt = now + this.idleMs;
    this.sessions.delete(key);
    this.sessions.set(key, session); // most recently used last
    return session;
  }

  close(token: string | undefined): void {
    if (!token) return;
    const key = digest(token);
    const session = this.sessions.get(key);
    if (session) session.closed = true;
    this.sessions.delete(key);
  }

  /** Whether the session still holds, without counting as a use (a live channel's own ticks must not keep it open). */
  isOpen(session: ConsoleSession): boolean {
    return !session.closed && session.expiresAt > this.now();
  }
}

/** Compares a presented CSRF token with the session's in constant time. */
export function csrfMatches(session: ConsoleSession, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
