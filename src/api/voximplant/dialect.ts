/** The Voximplant Management API's SMS methods as a Dialect: JSON answers, Voximplant's error objects, no delivery callbacks. */
import type { Dialect } from '../dialect.js';
import { renderVoximplantError } from './errors.js';
import type { VoximplantDeps } from './method.js';
import { registerVoximplantRoutes } from './routes.js';

export const voximplantDialect: Dialect<VoximplantDeps> = {
  name: 'voximplant',
  routes: registerVoximplantRoutes,
  renderError(err, _request, reply) {
    const rendered = renderVoximplantError(err);
    return reply.code(rendered.status).send(rendered.body);
  },
  notifyStatus: null,
};
