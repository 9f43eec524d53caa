/**
 * Loads an IOVOX `<callFlow>` document: parses it, checks every rule as the
 * IOVOX rule tables say, and returns the typed flow, or throws the first
 * problem as an IovoxFlowError carrying IOVOX's own error string. Rules are a
 * registry keyed by element name; the call runtime adds the rules it runs.
 */
import { IovoxFlowError } from './flow-error.js';
import { parseFlowXml, type FlowElement } from './flow-xml.js';
import type { FlowContext, FlowRule, IovoxCallFlow } from './flow.js';
import { parsePlay } from './rules/play.js';
import { parseSendSms } from './rules/send-sms.js';

export type RuleParser = (element: FlowElement, ctx: FlowContext) => FlowRule | Promise<FlowRule>;

export const FLOW_RULES = new Map<string, RuleParser>([
  ['play', parsePlay],
  ['sendSms', parseSendSms],
]);

export async function parseCallFlow(xml: string, ctx: FlowContext): Promise<IovoxCallFlow> {
  return checkCallFlow(parseFlowXml(xml), ctx);
}

/** The same checks on an element already parsed (a `<callFlow>` inside an API request). */
export async function checkCallFlow(root: FlowElement, ctx: FlowContext): Promise<IovoxCallFlow> {
  if (root.name !== 'callFlow') throw new IovoxFlowError(`Call Flow Invalid: ${root.name}`, root.position);
  const rules: FlowRule[] = [];
  const ids = new Set<string>();
  for (const element of root.children) {
    const parse = FLOW_RULES.get(element.name);
    if (!parse) throw new IovoxFlowError(`Rule Not Supported: ${element.name}`, element.position, element.attributes['id'] ?? null);
    const rule = await parse(element, ctx);
    if (ids.has(rule.id)) throw new IovoxFlowError(`Rule ID Duplicated: ${rule.id}`, element.position, rule.id);
    ids.add(rule.id);
    rules.push(rule);
  }
  if (rules.length === 0) throw new IovoxFlowError('Call Flow Empty', root.position);
  return { name: root.attributes['name'] ?? '', rules };
}
