/**
 * The operator console: its page at /admin and its JSON endpoints at /admin/api/… (docs/console.md lists
 * them). Every endpoint is what the page itself calls, so a script with an admin user's HTTP Basic
 * credentials can do anything the page does. Errors are telenode's JSON form `{ "error": { "code", "message" } }`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, isAppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { MessageStatus } from '../../sms/message.js';
import type { StatusFeed } from '../../sms/status-feed.js';
import type { AddressBook } from '../../contacts/address-book.js';
import type { UserDirectory } from '../http/auth.js';
import { parseQuery } from '../http/request-params.js';
import { readJsonBody } from '../http/request-body.js';
import { clearSessionCookie, cookieValue, requireAdmin, sessionCookie, type AdminIdentity } from './access.js';
import { CONSOLE_SECURITY_HEADERS, loadConsoleAssets } from './assets.js';
import type { ConsoleCallbacks, ConsoleCalls, ConsoleMessages, ConsoleRecordings, MessageSearch, TestSend } from './console-ports.js';
import { csvLine } from './csv.js';
import { LiveHub } from './live.js';
import { ConsoleSessions, SESSION_COOKIE } from './sessions.js';

export interface ConsoleDeps {
  users: UserDirectory;
  log: Logger;
  idleMinutes: number;
  overview: () => Promise<unknown>;
  feed: StatusFeed;
  committed: () => Promise<void>;
  messages: ConsoleMessages;
  callbacks: ConsoleCallbacks;
  calls: ConsoleCalls | null;
  /** Null where voice is off. */
  recordings: ConsoleRecordings | null;
  contacts: AddressBook;
  config: { source: string; redacted: unknown };
  send: (username: string, request: TestSend) => Promise<{ id: string; status: string }>;
}

const STATUS: Record<string, number> = {
  [ErrorCode.AUTH_REQUIRED]: 401,
  [ErrorCode.AUTH_FAILED]: 401,
  [ErrorCode.AUTH_LOCKED]: 429,
  [ErrorCode.AUTH_FORBIDDEN]: 403,
  [ErrorCode.REQUEST_CSRF]: 403,
  [ErrorCode.REQUEST_FORBIDDEN_ORIGIN]: 403,
  [ErrorCode.REQUEST_MEDIA_TYPE]: 415,
  [ErrorCode.REQUEST_PARSE]: 400,
  [ErrorCode.REQUEST_INVALID]: 400,
  [ErrorCode.CONTACT_INVALID]: 400,
  [ErrorCode.CONTACT_NOT_FOUND]: 404,
  [ErrorCode.MESSAGE_NOT_FOUND]: 404,
  [ErrorCode.CALL_NOT_FOUND]: 404,
  [ErrorCode.RECORDING_NOT_FOUND]: 404,
  [ErrorCode.STORE_UNAVAILABLE]: 503,
  [ErrorCode.SHUTTING_DOWN]: 503,
};

/** Rows a search page or an export returns at most. */
const PAGE_MAX = 500;
const EXPORT_MAX = 100_000;
const STATUSES = new Set<string>(Object.values(MessageStatus));

type Handler = (request: FastifyRequest, reply: FastifyReply, admin: AdminIdentity) => Promise<unknown>;
type Route = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, handler: Handler) => void;

export function registerConsole(app: FastifyInstance, deps: ConsoleDeps): { live: LiveHub } {
  const sessions = new ConsoleSessions(deps.idleMinutes * 60_000);
  const assets = loadConsoleAssets();
  const live = new LiveHub({ overview: deps.overview, feed: deps.feed, committed: deps.committed, log: deps.log });
  app.addHook('preClose', (done) => {
    live.close();
    done();
  });

  /** Every console endpoint: the admin check, security headers, errors in telenode's JSON form. */
  const route: Route = (method, url, handler) =>
    void app.route({
      method,
      url,
      handler: async (request, reply) => {
        reply.headers(CONSOLE_SECURITY_HEADERS);
        try {
          const admin = await requireAdmin(request, deps.users, sessions);
          const body = await handler(request, reply, admin);
          if (reply.sent) return reply;
          return body === undefined ? reply.code(204).send() : reply.send(body);
        } catch (err) {
          return sendFailure(reply, err, deps.log, request);
        }
      },
    });

  // One route serves /admin and /admin/ (the server ignores a trailing slash).
  app.get('/admin', async (_request, reply) => assets.send(reply, 'index.html'));
  app.get('/admin/assets/:name', async (request, reply) => assets.send(reply, (request.params as { name: string }).name));

  app.post('/admin/api/login', async (request, reply) => {
    reply.headers(CONSOLE_SECURITY_HEADERS);
    try {
      const { username, password } = loginBody(request);
      const user = await deps.users.authenticate(username, password, request.ip);
      if (!deps.users.isAdmin(user)) throw new AppError(ErrorCode.AUTH_FORBIDDEN, `user '${user}' does not have the admin role`);
      const { token, session } = sessions.open(user);
      deps.log.info({ username: user, source: request.ip }, 'console log-in');
      reply.header('set-cookie', sessionCookie(request, token, deps.idleMinutes * 60));
      return reply.send({ username: user, csrfToken: session.csrfToken });
    } catch (err) {
      return sendFailure(reply, err, deps.log, request);
    }
  });

  route('GET', '/admin/api/session', async (_request, _reply, admin) => ({ username: admin.username, csrfToken: admin.session?.csrfToken ?? null }));

  route('POST', '/admin/api/logout', async (request, reply) => {
    sessions.close(cookieValue(request, SESSION_COOKIE));
    clearSessionCookie(reply);
    return undefined;
  });

  route('GET', '/admin/api/overview', async () => deps.overview());
  registerLive(route, live, sessions);
  registerMessages(route, deps);
  registerCallbacks(route, deps);
  registerCalls(route, deps);
  registerRecordings(route, deps);
  registerContacts(route, deps);
  registerConfigAndSend(route, deps);
  return { live };
}

function registerLive(route: Route, live: LiveHub, sessions: ConsoleSessions): void {
  route('GET', '/admin/api/live', async (request, reply, admin) => {
    const watch = parseQuery(request.url).get('message') ?? null;
    // Opened with the console's cookie: it ends when the session does. With HTTP Basic (a script): while connected.
    const session = admin.session;
    if (!live.attach(reply, watch, session ? () => sessions.isOpen(session) : () => true))
      throw new AppError(ErrorCode.SHUTTING_DOWN, 'too many live consoles are open', { retryable: true });
    return undefined;
  });
}

function registerMessages(route: Route, deps: ConsoleDeps): void {
  route('GET', '/admin/api/messages', async (request) => {
    const filter = searchFilter(request, PAGE_MAX);
    const { total, rows } = await deps.messages.search(filter);
    return { total, limit: filter.limit, offset: filter.offset, rows: rows.map(({ meta: _meta, ...row }) => row) };
  });

  route('GET', '/admin/api/messages.csv', async (request, reply) => {
    const filter = { ...searchFilter(request, EXPORT_MAX), limit: EXPORT_MAX };
    const { rows } = await deps.messages.search(filter);
    let body = csvLine(['id', 'created', 'user', 'dialect', 'sender', 'recipient', 'status', 'connector', 'error', 'carrier_status', 'done', 'text']);
    for (const m of rows) {
      body += csvLine([
        m.id,
        new Date(m.createdAt).toISOString(),
        m.user,
        m.dialect,
        m.sender,
        m.recipient,
        m.status,
        m.connectorId,
        m.errorCode,
        m.carrierStatus,
        m.doneAt === null ? null : new Date(m.doneAt).toISOString(),
        m.text,
      ]);
    }
    reply.header('content-disposition', 'attachment; filename="telenode-messages.csv"');
    return reply.type('text/csv; charset=utf-8').send(body);
  });

  route('GET', '/admin/api/messages/:id', async (request) => {
    const id = (request.params as { id: string }).id;
    const detail = await deps.messages.detail(id);
    if (!detail) throw new AppError(ErrorCode.MESSAGE_NOT_FOUND, `no message '${id.slice(0, 100)}'`);
    const { meta: _meta, ...message } = detail.message;
    // A callback's headers may carry the receiver's credentials: the console shows where it went and what came back.
    const callbacks = detail.callbacks.map(({ headers: _headers, ...row }) => row);
    return { message, parts: detail.parts, events: detail.events, callbacks };
  });
}

function registerCallbacks(route: Route, deps: ConsoleDeps): void {
  route('GET', '/admin/api/callbacks', async () => {
    const [failing, dead] = await Promise.all([deps.callbacks.failing(), deps.callbacks.dead(PAGE_MAX)]);
    return { failing, dead: dead.map(({ headers: _headers, ...row }) => row) };
  });

  route('POST', '/admin/api/callbacks/replay', async (request) => {
    const body = readJsonBody(request) as { ids?: unknown; url?: unknown };
    if (typeof body.url === 'string') return { replayed: await deps.callbacks.replay({ url: body.url }) };
    if (Array.isArray(body.ids) && body.ids.every((id) => Number.isSafeInteger(id)))
      return { replayed: await deps.callbacks.replay({ ids: body.ids as number[] }) };
    throw new AppError(ErrorCode.REQUEST_INVALID, 'give "ids" (dead letter ids) or "url" (every dead letter for that URL)');
  });
}

function registerCalls(route: Route, deps: ConsoleDeps): void {
  route('GET', '/admin/api/calls', async () => ({ engine: deps.calls?.engine ?? null, active: deps.calls?.active() ?? [] }));

  route('POST', '/admin/api/calls/:id/hangup', async (request) => {
    const id = (request.params as { id: string }).id;
    if (!deps.calls) throw new AppError(ErrorCode.CALL_NOT_FOUND, 'voice is not enabled on this node');
    await deps.calls.hangup(id);
    return undefined;
  });

  route('GET', '/admin/api/calls/history', async (request) => {
    const query = parseQuery(request.url);
    const limit = boundedInt(query.get('limit'), 50, PAGE_MAX, 'limit');
    const offset = boundedInt(query.get('offset'), 0, Number.MAX_SAFE_INTEGER, 'offset');
    if (!deps.calls) return { total: 0, rows: [] };
    const text = query.get('q');
    return deps.calls.history({
      page: Math.floor(offset / limit),
      rowsPerPage: limit,
      ...(text ? (/^\+?[0-9*#]+$/.test(text) ? { source: text } : { callId: text }) : {}),
    });
  });
}

function registerRecordings(route: Route, deps: ConsoleDeps): void {
  route('GET', '/admin/api/recordings', async (request) => ({ recordings: (await deps.recordings?.list(parseQuery(request.url).get('call'))) ?? [] }));
  // The browser's <audio> fetches it with the session cookie (same origin); the name is looked up, never joined to a path.
  route('GET', '/admin/api/recordings/:name', async (request, reply) => {
    const name = (request.params as { name: string }).name;
    const file = await deps.recordings?.open(name);
    if (!file) throw new AppError(ErrorCode.RECORDING_NOT_FOUND, `no recording '${name.slice(0, 100)}'`);
    reply.header('content-length', String(file.bytes));
    return reply.type('audio/wav').send(file.stream);
  });
}

function registerContacts(route: Route, deps: ConsoleDeps): void {
  route('GET', '/admin/api/contacts', async (request) => {
    const name = parseQuery(request.url).get('name');
    return { contacts: await deps.contacts.list(name === undefined ? {} : { name }) };
  });
  route('POST', '/admin/api/contacts', async (request, reply) => reply.code(201).send(await deps.contacts.add(readJsonBody(request))));
  route('PUT', '/admin/api/contacts/:id', async (request) => deps.contacts.replace((request.params as { id: string }).id, readJsonBody(request)));
  route('DELETE', '/admin/api/contacts/:id', async (request) => {
    await deps.contacts.remove((request.params as { id: string }).id);
    return undefined;
  });
}

function registerConfigAndSend(route: Route, deps: ConsoleDeps): void {
  route('GET', '/admin/api/config', async () => deps.config);

  route('POST', '/admin/api/send', async (request, reply, admin) => {
    const body = readJsonBody(request) as Record<string, unknown>;
    if (typeof body['recipient'] !== 'string' || typeof body['text'] !== 'string') {
      throw new AppError(ErrorCode.REQUEST_INVALID, '"recipient" and "text" are required strings');
    }
    const sender = typeof body['sender'] === 'string' && body['sender'].length > 0 ? body['sender'] : undefined;
    const accepted = await deps.send(admin.username, { recipient: body['recipient'], text: body['text'], ...(sender ? { sender } : {}) });
    deps.log.info({ username: admin.username, messageId: accepted.id }, 'test SMS sent from the console');
    return reply.code(201).send(accepted);
  });
}

function sendFailure(reply: FastifyReply, err: unknown, log: Logger, request: FastifyRequest): FastifyReply {
  const status = isAppError(err) ? STATUS[err.code] : undefined;
  if (status === undefined) {
    log.error({ err, url: request.url }, 'console request failed');
    return reply.code(500).send({ error: { code: ErrorCode.INTERNAL, message: 'internal error; see the log' } });
  }
  const appError = err as AppError;
  if (appError.code === ErrorCode.AUTH_LOCKED) reply.header('retry-after', String(appError.details?.['retryAfterSeconds'] ?? 60));
  return reply.code(status).send({ error: { code: appError.code, message: appError.message } });
}

function loginBody(request: FastifyRequest): { username: string; password: string } {
  const body = readJsonBody(request) as { username?: unknown; password?: unknown };
  if (typeof body.username !== 'string' || typeof body.password !== 'string' || body.username.length === 0) {
    throw new AppError(ErrorCode.REQUEST_INVALID, '"username" and "password" are required');
  }
  return { username: body.username, password: body.password };
}

function searchFilter(request: FastifyRequest, maxLimit: number): MessageSearch {
  const query = parseQuery(request.url);
  const filter: MessageSearch = {
    limit: boundedInt(query.get('limit'), 50, maxLimit, 'limit'),
    offset: boundedInt(query.get('offset'), 0, Number.MAX_SAFE_INTEGER, 'offset'),
  };
  for (const name of ['id', 'recipient', 'sender', 'dialect', 'user'] as const) {
    const value = query.get(name)?.trim();
    if (value) filter[name] = value;
  }
  const status = query.get('status');
  if (status) {
    if (!STATUSES.has(status)) throw new AppError(ErrorCode.REQUEST_INVALID, `status must be one of ${[...STATUSES].join(', ')}`);
    filter.status = status;
  }
  const from = timeParam(query.get('from'), 'from');
  const to = timeParam(query.get('to'), 'to');
  if (from !== undefined) filter.fromMs = from;
  if (to !== undefined) filter.toMs = to;
  return filter;
}

function boundedInt(value: string | undefined, fallback: number, max: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new AppError(ErrorCode.REQUEST_INVALID, `${name} must be a whole number ≥ 0`);
  return Math.min(n, max);
}

/** An ISO 8601 time (`2026-12-02T10:00`, `2026-12-02`) or epoch milliseconds. */
function timeParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^[0-9]+$/.test(value) ? Number(value) : Date.parse(value);
  // Safe integers only: 99999999999999999999 is no time, and PostgreSQL's BIGINT refused it with an internal error.
  if (!Number.isSafeInteger(ms)) throw new AppError(ErrorCode.REQUEST_INVALID, `${name} must be an ISO 8601 time or epoch milliseconds`);
  return ms;
}
