/** Every dialect the node speaks: the server registers them, the SMS core calls their delivery-report notifiers. */
import { iovoxDialect } from '../iovox/api/dialect.js';
import type { IovoxDeps } from '../iovox/api/routes.js';
import type { StatusNotifier } from '../sms/status-writer.js';
import type { CallbackOutbox } from '../webhooks/index.js';
import { acrobitsDialect } from './acrobits/dialect.js';
import type { AcrobitsDeps } from './acrobits/service.js';
import type { Dialect } from './dialect.js';
import type { OzekiDeps } from './ozeki/command.js';
import { ozekiDialect } from './ozeki/dialect.js';
import type { VoximplantDeps } from './voximplant/method.js';
import { voximplantDialect } from './voximplant/dialect.js';

/** What the dialects need between them; the server hands each the whole of it. */
export type DialectDeps = OzekiDeps & VoximplantDeps & AcrobitsDeps & IovoxDeps;

export const DIALECTS: readonly Dialect<DialectDeps>[] = [ozekiDialect, voximplantDialect, acrobitsDialect, iovoxDialect];

/** Delivery reports for a message, by the dialect that accepted it (nothing for one without them). */
export function dialectNotifier(callbacks: CallbackOutbox, dialects: readonly Dialect<DialectDeps>[] = DIALECTS): StatusNotifier {
  const byName = new Map(dialects.flatMap((d) => (d.notifyStatus ? [[d.name, d.notifyStatus] as const] : [])));
  return async (message, previous) => {
    await byName.get(message.dialect)?.(callbacks, message, previous);
  };
}
