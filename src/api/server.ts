/**
 * The HTTP server: one fastify instance, every dialect registered on it.
 * Bodies reach dialects as raw Buffers so each parses (and rejects) them in
 * its own way and reports errors in its own format.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../shared/log.js';
import { OZEKI_CONTENT_TYPE, registerOzekiRoutes, renderOzekiError, type OzekiDeps } from './ozeki/routes.js';
import { registerVoximplantRoutes, renderVoximplantError, type VoximplantDeps } from './voximplant/routes.js';
import { registerAcrobitsRoutes, renderAcrobitsError, type AcrobitsDeps } from './acrobits/routes.js';
import { registerIovoxRoutes, renderIovoxFailure, type IovoxDeps } from '../iovox/api/routes.js';
import { IOVOX_CONTENT_TYPE } from '../iovox/api/xml.js';
import { registerContactsRoutes, type ContactsApiDeps } from './contacts/routes.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  [key: string]: unknown;
}

export interface ApiServerDeps extends OzekiDeps, VoximplantDeps, AcrobitsDeps, IovoxDeps, ContactsApiDeps {
  registry: Registry;
  health: () => HealthReport;
  bodyLimitBytes: number;
  log: Logger;
}

export function buildApiServer(deps: ApiServerDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const dialect = (request.routeOptions.config as { dialect?: string } | undefined)?.dialect;
    const internal = err.statusCode === undefined || err.statusCode >= 500;
    (internal ? deps.log.error.bind(deps.log) : deps.log.warn.bind(deps.log))({ err, url: request.url.slice(0, 200), dialect }, 'request failed');
    if (dialect === 'ozeki') {
      const rendered = renderOzekiError(err);
      return reply.code(rendered.status).type(OZEKI_CONTENT_TYPE).send(rendered.body);
    }
    if (dialect === 'voximplant') {
      const rendered = renderVoximplantError(err);
      return reply.code(rendered.status).send(rendered.body);
    }
    if (dialect === 'acrobits') return renderAcrobitsError(err, request, reply);
    if (dialect === 'iovox') {
      const rendered = renderIovoxFailure(err);
      return reply.code(rendered.status).type(IOVOX_CONTENT_TYPE).send(rendered.body);
    }
    return reply.code(err.statusCode ?? 500).send({ error: { code: err.code ?? 'TN_ERR_INTERNAL', message: err.message } });
  });

  registerOzekiRoutes(app, deps);
  registerVoximplantRoutes(app, deps);
  registerAcrobitsRoutes(app, deps);
  registerIovoxRoutes(app, deps);
  registerContactsRoutes(app, deps);

  app.get('/health', async (_request, reply) => {
    const report = deps.health();
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(body);
  });

  return app;
}
