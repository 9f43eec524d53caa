/** The Acrobits softphone's SMS web services as a Dialect: JSON or XML errors as the app asks, no delivery callbacks. */
import type { Dialect } from '../dialect.js';
import { registerAcrobitsRoutes, renderAcrobitsError } from './routes.js';
import type { AcrobitsDeps } from './service.js';

export const acrobitsDialect: Dialect<AcrobitsDeps> = {
  name: 'acrobits',
  routes: registerAcrobitsRoutes,
  renderError: renderAcrobitsError,
  notifyStatus: null,
};
