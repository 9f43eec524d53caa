/**
 * The HTTP server: one fastify instance, every dialect registered on it in a
 * context of its own (dialect.ts) that answers failures in its own format.
 * Bodies reach dialects as raw Buffers so each parses (and rejects) them in
 * its own way. Outside the dialects (/contacts, /health, /metrics) errors are
 * telenode's JSON form `{ "error": { "code", "message" } }`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../shared/log.js';
import { ErrorCode } from '../shared/errors.js';
import { registerContactsRoutes, type ContactsApiDeps } from './contacts/routes.js';
import { logFailure, registerDialect, type RequestFailure } from './dialect.js';
import { DIALECTS, type DialectDeps } from './dialects.js';
import { registerConsole, type ConsoleDeps } from './admin/routes.js';
import { NO_ROUTE_SCHEMAS } from './http/no-route-schemas.js';
import { limitConnections } from './http/connection-limits.js';
import { MAX_PIPELINED, limitPipelining } from './http/pipelining-limit.js';
import { rationedRendering } from './http/rationed-rendering.js';
import { RefusalLog } from '../shared/refusal-log.js';
import type { ConnectionCaps } from '../shared/connection-caps.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  [key: string]: unknown;
}

export interface ApiServerDeps extends DialectDeps, ContactsApiDeps {
  registry: Registry;
  health: () => Promise<HealthReport>;
  bodyLimitBytes: number;
  /** Connections in all and per source address (http/connection-limits.ts). */
  connectionLimits: ConnectionCaps;
  /** How long a request's headers and body may take to arrive, from its first octet (408 after). */
  requestTimeoutMs: number;
  /** http.trustedProxies: whose X-Forwarded-For names the client (request.ip); none or empty: the connection's address. */
  trustedProxies?: readonly string[];
  log: Logger;
  /** The operator console (/admin); absent when `console.enabled` is false. */
  console?: ConsoleDeps;
}

/**
 * fastify's router parses every request's query string into `request.query` before any handler runs. Nothing here
 * reads it: every route parses `request.url` itself, strictly (http/request-params.ts: a malformed escape is the
 * dialect's error, not a silent U+FFFD), so the router's copy was a second parse of each API request for nothing —
 * about 1 % of the main thread flat out (bench/RESULTS.md, "Issue 18, session 33").
 */
const NO_QUERY: Readonly<Record<string, never>> = Object.freeze({});
function leaveQueryUnparsed(): Record<string, never> {
  return NO_QUERY;
}

export function buildApiServer(deps: ApiServerDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.bodyLimitBytes,
    // Node checks these deadlines on a timer: every second rather than its default 30, so a connection that stalls
    // mid-request is cut within a second of its deadline. fastify's own default turns requestTimeout off.
    requestTimeout: deps.requestTimeoutMs,
    http: { requestTimeout: deps.requestTimeoutMs, headersTimeout: deps.requestTimeoutMs, connectionsCheckingInterval: 1000 },
    routerOptions: { ignoreTrailingSlash: true, querystringParser: leaveQueryUnparsed },
    schemaController: NO_ROUTE_SCHEMAS,
    // request.ip, which log-in limits count and logs name, is the client behind a trusted proxy (proxy-addr: the
    // nearest X-Forwarded-For address not itself trusted), and the connection's address otherwise.
    trustProxy: deps.trustedProxies?.length ? [...deps.trustedProxies] : false,
  });
  limitConnections(app.server, deps.connectionLimits, deps.log, deps.registry);
  const pipelined = new RefusalLog(deps.log, 'HTTP connection closed: too many pipelined requests unanswered');
  limitPipelining(app.server, (socket) => pipelined.note(socket.remoteAddress ?? 'unknown', { limit: MAX_PIPELINED }));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((err: RequestFailure, request, reply) => {
    logFailure(deps.log, err, request, 'telenode');
    return reply.code(err.statusCode ?? 500).send({ error: { code: err.code ?? ErrorCode.INTERNAL, message: err.message } });
  });

  for (const dialect of DIALECTS) registerDialect(app, dialect, deps, deps.log);
  registerContactsRoutes(app, deps);
  if (deps.console) registerConsole(app, deps.console);

  app.get('/health', async (_request, reply) => {
    const report = await deps.health();
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });

  const renderMetrics = rationedRendering(() => deps.registry.metrics());
  app.get('/metrics', async (_request, reply) => {
    const body = await renderMetrics();
    return reply.type(deps.registry.contentType).send(body);
  });

  return app;
}
