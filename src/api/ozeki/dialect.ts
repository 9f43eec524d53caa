/** The Ozeki HTTP API as a Dialect: /api and / commands, XML results, SMSDeliveryReport callbacks. */
import type { Dialect } from '../dialect.js';
import type { OzekiDeps } from './command.js';
import { enqueueOzekiDeliveryReport } from './notifications.js';
import { OZEKI_CONTENT_TYPE, registerOzekiRoutes, renderOzekiError } from './routes.js';

export const ozekiDialect: Dialect<OzekiDeps> = {
  name: 'ozeki',
  routes: registerOzekiRoutes,
  renderError(err, request, reply) {
    const rendered = renderOzekiError(err, request.url);
    return reply.code(rendered.status).type(OZEKI_CONTENT_TYPE).send(rendered.body);
  },
  notifyStatus: enqueueOzekiDeliveryReport,
};
