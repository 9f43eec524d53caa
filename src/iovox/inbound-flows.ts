/**
 * Inbound calls that run IOVOX call flows (iovox.callFlows): the called
 * number picks the flow, as a number's call flow does on IOVOX. Flows are read
 * and checked at start-up, like failover links, so a broken one stops the
 * daemon with its IOVOX error instead of failing the first caller. Calls no
 * entry matches are left to the OzML routes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError, ErrorCode } from '../shared/errors.js';
import type { CallHandler } from '../voice/calls.js';
import type { CallSession } from '../voice/call-session.js';
import { calledNumberMatcher } from '../voice/route-match.js';
import type { InboundCallFlowConfig } from './config.js';
import type { FlowContext, IovoxCallFlow } from './flow/flow.js';
import { parseCallFlow } from './flow/parse-call-flow.js';
import { runCallFlow, type FlowRunDeps } from './flow/run-call-flow.js';
import { unknownBindingRule } from './flow/send-sms-rule.js';

export interface InboundCallFlow extends InboundCallFlowConfig {
  flow: IovoxCallFlow;
  test: (called: string) => boolean;
}

export async function loadInboundCallFlows(
  configs: readonly InboundCallFlowConfig[],
  ctx: FlowContext,
  users: ReadonlySet<string>,
): Promise<InboundCallFlow[]> {
  const loaded: InboundCallFlow[] = [];
  for (const [index, config] of configs.entries()) {
    const where = `iovox.callFlows[${index}] (match '${config.match}')`;
    if (!users.has(config.user)) throw new AppError(ErrorCode.IOVOX_LINK_INVALID, `${where}: no API user '${config.user}'`);
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
export function inboundCallFlowRouter(flows: readonly InboundCallFlow[], deps: FlowRunDeps): (session: CallSession) => CallHandler | null {
  return (session) => {
    const called = session.info.to.user;
    const entry = flows.find((f) => f.test(called));
    if (!entry) return null;
    return async (call) => {
      await runCallFlow(call, { flow: entry.flow, user: entry.user, variables: { caller: call.info.from.user, called }, bindings: entry.bindings }, deps);
    };
  };
}
