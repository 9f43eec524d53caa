/**
 * Inbound calls that run IOVOX call flows (iovox.callFlows): the called
 * number picks the flow, as a number's call flow does on IOVOX. A flow file is
 * read and checked at start-up, like failover links, so a broken one stops the
 * daemon with its IOVOX error instead of failing the first caller. A flow
 * uploaded over the API (`callFlow`, a name) was checked when it was stored and
 * is read when each call starts, so an update takes effect with the next call;
 * one that is missing then fails that call, logged, not the daemon. Calls no
 * entry matches are left to the OzML routes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError, ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { CallHandler } from '../voice/calls.js';
import type { CallSession } from '../voice/call-session.js';
import { calledNumberMatcher } from '../voice/route-match.js';
import type { InboundCallFlowConfig } from './config.js';
import type { FlowContext, IovoxCallFlow } from './flow/flow.js';
import { parseCallFlow } from './flow/parse-call-flow.js';
import { runCallFlow, type FlowRunDeps } from './flow/run-call-flow.js';
import { unknownBindingRule } from './flow/send-sms-rule.js';

export interface InboundCallFlow extends InboundCallFlowConfig {
  /** The flow file's flow; null for an uploaded flow (`callFlow`), read per call. */
  flow: IovoxCallFlow | null;
  test: (called: string) => boolean;
}

/** An uploaded flow, checked again against the node as it is now (contacts may have gone); null when there is none. */
export type StoredFlowLoader = (user: string, name: string) => Promise<IovoxCallFlow | null>;

export async function loadInboundCallFlows(
  configs: readonly InboundCallFlowConfig[],
  ctx: FlowContext,
  users: ReadonlySet<string>,
): Promise<InboundCallFlow[]> {
  const loaded: InboundCallFlow[] = [];
  for (const [index, config] of configs.entries()) {
    const where = `iovox.callFlows[${index}] (match '${config.match}')`;
    if (!users.has(config.user)) throw new AppError(ErrorCode.IOVOX_LINK_INVALID, `${where}: no API user '${config.user}'`);
    if (config.callFlowFile === undefined) {
      loaded.push({ ...config, flow: null, test: calledNumberMatcher(config.match) });
      continue;
    }
    const file = resolve(config.callFlowFile);
    let xml: string;
    try {
      xml = readFileSync(file, 'utf8');
    } catch (err) {
      throw new AppError(ErrorCode.IOVOX_LINK_INVALID, `${where}: cannot read call flow ${file}: ${(err as Error).message}`, { cause: err });
    }
    let flow: IovoxCallFlow;
    try {
      flow = await parseCallFlow(xml, ctx);
    } catch (err) {
      throw new AppError(ErrorCode.IOVOX_LINK_INVALID, `${where}: call flow ${file}: ${(err as Error).message}`, { cause: err });
    }
    const unknown = unknownBindingRule(flow, config.bindings);
    if (unknown) throw new AppError(ErrorCode.IOVOX_LINK_INVALID, `${where}: bindings name '${unknown}', which is not a sendSms rule of its call flow`);
    loaded.push({ ...config, flow, test: calledNumberMatcher(config.match) });
  }
  return loaded;
}

/**
 * The handler for a call whose called number an inbound flow matches, else
 * null. `$caller` and `$called` hold the two numbers in the flow's text.
 */
export function inboundCallFlowRouter(
  flows: readonly InboundCallFlow[],
  deps: FlowRunDeps & { stored: StoredFlowLoader; log: Logger },
): (session: CallSession) => CallHandler | null {
  return (session) => {
    const called = session.info.to.user;
    const entry = flows.find((f) => f.test(called));
    if (!entry) return null;
    return async (call) => {
      const flow = entry.flow ?? (await deps.stored(entry.user, entry.callFlow!));
      if (!flow) {
        deps.log.error({ callFlow: entry.callFlow, user: entry.user, called }, 'no uploaded call flow of that name: the call is hung up');
        throw new AppError(ErrorCode.IOVOX_LINK_INVALID, `user '${entry.user}' has no call flow '${entry.callFlow}'`);
      }
      await runCallFlow(call, { flow, user: entry.user, variables: { caller: call.info.from.user, called }, bindings: entry.bindings }, deps);
    };
  };
}
