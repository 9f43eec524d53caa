/**
 * What the HTTP server needs from a dialect (Ozeki, Voximplant, Acrobits,
 * IOVOX): its routes, its own error format, and the delivery reports of the
 * messages it accepted. Each dialect is registered as its own encapsulated
 * fastify context, so its error handler answers for its routes only and the
 * server never branches on dialect names.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../shared/log.js';
import type { MessageStatus, StoredMessage } from '../sms/message.js';
import type { CallbackOutbox } from '../webhooks/index.js';

/** A failure that reached the error handler: ours (AppError), or fastify's (bad body, too large: statusCode 4xx). */
export type RequestFailure = Error & { statusCode?: number; code?: string };

export interface Dialect<Deps> {
  /** The name messages accepted through it carry (`StoredMessage.dialect`), and its log lines show. */
  readonly name: string;
  /** Its routes, on its own fastify context. */
  routes(app: FastifyInstance, deps: Deps): void;
  /** Every failure of its routes, answered in the dialect's own format. */
  renderError(err: RequestFailure, request: FastifyRequest, reply: FastifyReply): FastifyReply;
  /** Delivery reports for the messages it accepted; null when the dialect has none. */
  readonly notifyStatus: DialectNotifier | null;
}

/** Stores a message's delivery reports in the status change's own transaction. */
export type DialectNotifier = (callbacks: CallbackOutbox, message: StoredMessage, previous: MessageStatus) => Promise<void>;

/** Register a dialect's routes with its error handler, in a context of their own. */
export function registerDialect<Deps>(app: FastifyInstance, dialect: Dialect<Deps>, deps: Deps, log: Logger): void {
  void app.register(async (scope) => {
    scope.setErrorHandler((err: RequestFailure, request, reply) => {
      logFailure(log, err, request, dialect.name);
      return dialect.renderError(err, request, reply);
    });
    dialect.routes(scope, deps);
  });
}

/** Our faults (5xx, or no status at all) are errors; a client's are warnings. */
export function logFailure(log: Logger, err: RequestFailure, request: FastifyRequest, dialect: string): void {
  const internal = err.statusCode === undefined || err.statusCode >= 500;
  (internal ? log.error.bind(log) : log.warn.bind(log))({ err, url: request.url.slice(0, 200), dialect }, 'request failed');
}
