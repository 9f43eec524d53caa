/**
 * Cross-site request forgery guard for endpoints whose credentials a browser
 * sends by itself (HTTP Basic it has cached, the console's cookie). A browser
 * names the page that made a request in `Origin` (RFC 6454 §7, Fetch
 * standard); a request made by a page of another origin is refused. Requests
 * without `Origin` come from programs, not from a page, and pass.
 */
import type { FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '../../shared/errors.js';

export function refuseCrossOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string | null = null;
  try {
    host = origin === 'null' ? null : new URL(origin).host;
  } catch {
    host = null;
  }
  if (host === null || host.toLowerCase() !== (request.headers.host ?? '').toLowerCase()) {
    throw new AppError(ErrorCode.REQUEST_FORBIDDEN_ORIGIN, `requests from pages of ${origin.slice(0, 100)} are not accepted here`);
  }
}

/** The body's media type must be one the endpoint documents; a form or text/plain post (what a foreign page can send without CORS) is refused. */
export function requireMediaType(request: FastifyRequest, accepted: readonly string[]): void {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!accepted.includes(mediaType)) {
    throw new AppError(ErrorCode.REQUEST_MEDIA_TYPE, `Content-Type must be ${accepted.join(' or ')}${mediaType ? `, not ${mediaType}` : ''}`);
  }
}
