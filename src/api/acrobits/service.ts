/**
 * The contract between the Acrobits transport (routes.ts) and each web
 * service's handler. Its own module so the handlers and the list of
 * services do not import each other.
 */
import type { AcrobitsConfig } from '../../config/schema.js';
import type { Logger } from '../../shared/log.js';
import type { Outbox } from '../../sms/outbox.js';
import type { MessageHistoryRepo } from '../../store/message-history-repo.js';
import type { UserDirectory } from '../http/auth.js';
import type { Params } from '../http/request-params.js';
export interface AcrobitsDeps {
  outbox: Outbox;
  users: UserDirectory;
  history: MessageHistoryRepo;
  acrobits: AcrobitsConfig;
  log: Logger;
}

export interface AcrobitsCall {
  params: Params;
  username: string;
  deps: AcrobitsDeps;
}

/** A service's success: a JSON body, or nothing (HTTP 200 with an empty body, as Acrobits' web service reference shows). */
export type AcrobitsService = (call: AcrobitsCall) => Promise<Record<string, unknown> | null>;
