/**
 * PostgreSQL not answering (down, restarting, unreachable, hung, out of connections) is one condition for the
 * callers: STORE_UNAVAILABLE, retryable; the API answers the dialect's "try later" (HTTP 503) and nothing
 * was stored. Everything else (a constraint, a bad statement) stays as it is.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';

/** SQLSTATE classes and codes that mean "the server is not there for you right now" (PostgreSQL Appendix A). */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-4])/;
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Query read timeout/i;

export function storeError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const unavailable =
    (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || /^E[A-Z]+$/.test(e.code))) || UNAVAILABLE_MESSAGE.test(String(e.message ?? ''));
  if (!unavailable) return err;
  return new AppError(ErrorCode.STORE_UNAVAILABLE, `PostgreSQL does not answer: ${String(e.message ?? err)}`, { retryable: true, cause: err });
}

/** The server or the connection failed, as opposed to the statement (a constraint, bad SQL). */
export function isUnavailable(err: unknown): boolean {
  return err instanceof AppError && err.code === ErrorCode.STORE_UNAVAILABLE;
}
