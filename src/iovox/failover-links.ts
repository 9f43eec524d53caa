/**
 * The configured c2c failover links with their call flows, read and checked
 * once at start-up so a broken flow stops the daemon with its IOVOX error
 * instead of failing the first time an SMS needs it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError, ErrorCode } from '../shared/errors.js';
import type { FailoverLinkConfig } from './config.js';
import type { FlowContext, IovoxCallFlow } from './flow/flow.js';
import { parseCallFlow } from './flow/parse-call-flow.js';
import { unknownBindingRule } from './flow/send-sms-rule.js';

export interface FailoverLink extends FailoverLinkConfig {
  flow: IovoxCallFlow;
}

export async function loadFailoverLinks(links: readonly FailoverLinkConfig[], ctx: FlowContext): Promise<ReadonlyMap<string, FailoverLink>> {
  const loaded = new Map<string, FailoverLink>();
  for (const link of links) {
    const file = resolve(link.callFlowFile);
    let xml: string;
    try {
      xml = readFileSync(file, 'utf8');
    } catch (err) {
      throw new AppError(ErrorCode.IOVOX_LINK_INVALID, `failover link '${link.id}': cannot read call flow ${file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      loaded.set(link.id, { ...link, flow: await parseCallFlow(xml, ctx) });
    } catch (err) {
      throw new AppError(ErrorCode.IOVOX_LINK_INVALID, `failover link '${link.id}': call flow ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  return loaded;
}

/**
 * Every link's trunk must be configured, and its bindings must name sendSms
 * rules of its flow. Checked at start-up when voice is on.
 */
export function checkFailoverLinks(links: ReadonlyMap<string, FailoverLink>, trunkIds: ReadonlySet<string>): void {
  for (const link of links.values()) {
    if (!trunkIds.has(link.trunk)) {
      const known = trunkIds.size > 0 ? `known: ${[...trunkIds].join(', ')}` : 'voice.trunks is empty';
      throw new AppError(ErrorCode.IOVOX_LINK_INVALID, `failover link '${link.id}': no trunk '${link.trunk}' in voice.trunks (${known})`);
    }
    const unknown = unknownBindingRule(link.flow, link.bindings);
    if (unknown)
      throw new AppError(ErrorCode.IOVOX_LINK_INVALID, `failover link '${link.id}': bindings name '${unknown}', which is not a sendSms rule of its call flow`);
  }
}
