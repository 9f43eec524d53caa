/**
 * The contract between the Voximplant transport (routes.ts) and each
 * method's handler. Its own module so the handlers and the registry that
 * lists them do not import each other.
 */
import type { Logger } from '../../shared/log.js';
import type { Outbox } from '../../sms/outbox.js';
import type { NumberControl } from '../../sms/number-control.js';
import type { MessageHistoryRepo } from '../../store/message-history-repo.js';
import type { UserDirectory } from '../http/auth.js';
import type { Params } from '../http/request-params.js';
import type { VoximplantAuth } from './auth.js';

export interface VoximplantDeps {
  outbox: Outbox;
  users: UserDirectory;
  /** account_id + api_key, or a service-account JWT. */
  voximplantAuth: VoximplantAuth;
  numbers: NumberControl;
  history: MessageHistoryRepo;
  log: Logger;
}

export interface VoximplantCall {
  params: Params;
  username: string;
  deps: VoximplantDeps;
}

/** A method's answer: a JSON object, or CSV text (history with output=csv). */
export type VoximplantAnswer = { json: Record<string, unknown> } | { csv: string; totalCount: number };

export type VoximplantMethod = (call: VoximplantCall) => Promise<VoximplantAnswer>;
