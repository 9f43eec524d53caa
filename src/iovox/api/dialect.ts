/** IOVOX's SMS API v3 as a Dialect: XML requests and errors, JSON delivery receipts to callback_url. */
import type { Dialect } from '../../api/dialect.js';
import { enqueueIovoxReceipt } from './receipts.js';
import { registerIovoxRoutes, renderIovoxFailure, type IovoxDeps } from './routes.js';
import { IOVOX_CONTENT_TYPE } from './xml.js';

export const iovoxDialect: Dialect<IovoxDeps> = {
  name: 'iovox',
  routes: registerIovoxRoutes,
  renderError(err, _request, reply) {
    const rendered = renderIovoxFailure(err);
    return reply.code(rendered.status).type(IOVOX_CONTENT_TYPE).send(rendered.body);
  },
  notifyStatus: enqueueIovoxReceipt,
};
