/**
 * The IOVOX API dialect (IOVOX's SMS API v3 reference): `POST /SMS?v=3&method=sendSms` with an
 * XML payload, answered `201 Created` with the sms_activity_id, or with an
 * HTTP 4xx/5xx and IOVOX's error string. Authentication is IOVOX's own: the
 * `username` and `secureKey` request headers, checked against telenode's API
 * users (the secure key is the user's password). Methods are a registry,
 * like Ozeki's commands; this file holds transport, checks and error mapping.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError, ErrorCode } from '../../shared/errors.js';
import { parseQuery, type Params } from '../../api/http/request-params.js';
import { IOVOX_CONTENT_TYPE, IovoxApiError, parseIovoxRequest, renderIovoxError, renderIovoxResponse } from './xml.js';
import { iovoxSendSmsRequest } from './send-sms.js';
import { CALL_FLOW_METHODS } from './call-flows.js';
import type { IovoxDeps, IovoxMethod } from './method.js';

export type { IovoxDeps, IovoxMethod, IovoxMethodContext, IovoxMethodResult } from './method.js';
import { IovoxFlowError } from '../flow/flow-error.js';

const sendSms: IovoxMethod = {
  verb: 'POST',
  async run({ body, username, deps }) {
    const nodes = parseIovoxRequest(body);
    const request = iovoxSendSmsRequest(nodes, { username, now: (deps.now ?? Date.now)(), failoverLinks: deps.failoverLinks });
    const message = await deps.outbox.accept(request);
    return { status: 201, fields: { sms_activity_id: message.id } };
  },
};

/** `<interface path>` → method name (as sent in ?method=) → handler. Other IOVOX interfaces add theirs here. */
export const IOVOX_METHODS = new Map<string, Map<string, IovoxMethod>>([
  ['/SMS', new Map([['sendSms', sendSms]])],
  ['/CallFlow', CALL_FLOW_METHODS],
]);

/** The API versions this dialect speaks (?v=). */
const API_VERSIONS = new Set(['3']);

export function registerIovoxRoutes(app: FastifyInstance, deps: IovoxDeps): void {
  for (const [url, methods] of IOVOX_METHODS) {
    app.route({
      // Every verb is routed so a wrong one gets IOVOX's "Request Method must be POST" rather than a 404.
      method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { status, body } = await handleIovoxRequest(request, methods, deps);
        return reply.code(status).type(IOVOX_CONTENT_TYPE).send(body);
      },
    });
  }
}

async function handleIovoxRequest(request: FastifyRequest, methods: Map<string, IovoxMethod>, deps: IovoxDeps): Promise<{ status: number; body: string }> {
  try {
    const username = await authenticate(request, deps);
    const query = readQuery(request.url);
    const version = query.get('v');
    if (!version) throw new IovoxApiError(400, 'API Version Empty');
    if (!API_VERSIONS.has(version)) throw new IovoxApiError(400, 'API Version Invalid');
    const methodName = query.get('method');
    if (!methodName) throw new IovoxApiError(400, 'Method Empty');
    const method = methods.get(methodName);
    if (!method) throw new IovoxApiError(400, `Method Invalid: ${methodName}`);
    if (request.method !== method.verb) throw new IovoxApiError(400, `Request Method must be ${method.verb}. ${request.method} attempted`);
    const result = await method.run({ query, body: Buffer.isBuffer(request.body) ? request.body : undefined, username, deps });
    return { status: result.status, body: 'xml' in result ? result.xml : renderIovoxResponse(result.fields) };
  } catch (err) {
    const mapped = mapError(err);
    return { status: mapped.status, body: renderIovoxError(mapped.status, mapped.text) };
  }
}

const UNAUTHORIZED = 'HTTP 401: Unauthorized';

async function authenticate(request: FastifyRequest, deps: IovoxDeps): Promise<string> {
  const username = header(request, 'username');
  const secureKey = header(request, 'securekey');
  // IOVOX answers every authentication failure alike: <error status="401">HTTP 401: Unauthorized</error>.
  if (!username || !secureKey) throw new IovoxApiError(401, UNAUTHORIZED);
  try {
    return await deps.users.authenticate(username, secureKey, request.ip);
  } catch (err) {
    if (!isAppError(err) || (err.code !== ErrorCode.AUTH_FAILED && err.code !== ErrorCode.AUTH_LOCKED)) throw err;
    deps.log.warn({ username, ip: request.ip, locked: err.code === ErrorCode.AUTH_LOCKED }, 'IOVOX API authentication failed');
    if (err.code === ErrorCode.AUTH_LOCKED) throw new IovoxApiError(429, 'Too Many Failed Authentication Attempts', err);
    throw new IovoxApiError(401, UNAUTHORIZED);
  }
}

/** A query string with a broken %-escape cannot even say its version. */
function readQuery(url: string): Params {
  try {
    return parseQuery(url);
  } catch (err) {
    throw new IovoxApiError(400, 'Query String Invalid', err);
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The one place our errors become IOVOX answers. Anything unexpected is the 500 of IOVOX's SMS API v3 reference. */
function mapError(err: unknown): { status: number; text: string } {
  if (err instanceof IovoxApiError) return { status: err.status, text: err.text };
  // A call flow that fails the rule tables: IOVOX's string for it ("Rule ID Empty", "Sender Invalid", …).
  if (err instanceof IovoxFlowError) return { status: err.status, text: err.text };
  if (isAppError(err)) {
    switch (err.code) {
      case ErrorCode.MESSAGE_EMPTY:
        return { status: 400, text: 'Message Empty' };
      case ErrorCode.MESSAGE_TOO_LONG:
        return { status: 400, text: 'Message must be less than 160 characters long' };
      case ErrorCode.ROUTE_NOT_FOUND:
        // No dial-plan rule reaches this number: for the client that is a destination we cannot send to.
        return { status: 400, text: `Destination Invalid: ${String(err.details?.['recipient'] ?? '').replace(/^\+/, '')}` };
      default:
        break;
    }
  }
  throw err;
}

/** Render an error that escaped the handler (store failure, shutdown, a body fastify refused). */
export function renderIovoxFailure(err: Error & { statusCode?: number; code?: string }): { status: number; body: string } {
  if (err.statusCode === 413) return { status: 413, body: renderIovoxError(413, 'Request Entity Too Large') };
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: 400, body: renderIovoxError(400, `XML parse error. ${err.message.replace(/\.$/, '')} at line 1, column 1`) };
  }
  // Our store or our shutdown, not the request: the client should try again (HTTP 503).
  if (err.code === ErrorCode.STORE_UNAVAILABLE || err.code === ErrorCode.SHUTTING_DOWN)
    return { status: 503, body: renderIovoxError(503, 'Service Unavailable') };
  return { status: 500, body: renderIovoxError(500, 'Internal Server Error') };
}
