/**
 * The contract between the IOVOX transport (routes.ts) and each method's
 * handler: what a method gets and what it answers. Its own module so the
 * handlers and the registry that lists them do not import each other.
 */
import type { Logger } from '../../shared/log.js';
import type { Outbox } from '../../sms/outbox.js';
import type { UserDirectory } from '../../api/http/auth.js';
import type { Params } from '../../api/http/request-params.js';
import type { Committer } from '../../store/sql.js';
import type { CallFlowRepo } from '../../store/call-flow-repo.js';
import type { FlowContext } from '../flow/flow.js';

export interface IovoxDeps {
  outbox: Outbox;
  users: UserDirectory;
  log: Logger;
  /** Configured c2c failover link ids (config iovox.failoverLinks). */
  failoverLinks: ReadonlySet<string>;
  /** createCallFlow and the other call-flow methods: the stored flows and the checks a flow must pass. */
  callFlows: CallFlowApi;
  now?: () => number;
}

export interface IovoxMethodContext {
  query: Params;
  /** The request body (the XML payload of POST and PUT methods). */
  body: Buffer | undefined;
  username: string;
  deps: IovoxDeps;
}

/** What a method answers: its HTTP status and either `<response>` fields or a whole XML document. */
export type IovoxMethodResult = { status: number; fields: Record<string, unknown> } | { status: number; xml: string };

export interface IovoxMethod {
  /** The one HTTP verb IOVOX's reference gives the method; any other is "Request Method must be X". */
  verb: 'GET' | 'POST' | 'PUT' | 'DELETE';
  run(ctx: IovoxMethodContext): Promise<IovoxMethodResult>;
}

export interface CallFlowApi {
  repo: Pick<CallFlowRepo, 'create' | 'update' | 'get' | 'list' | 'delete'>;
  committer: Pick<Committer, 'run'>;
  /** What a flow is checked against: contacts, $_partnerName, the sendSms switch, e-mail templates. */
  context: FlowContext;
  now?: () => number;
}
