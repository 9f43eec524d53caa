/**
 * IOVOX's call-flow methods at `/CallFlow?v=3&method=…` (iovox.com/api/rest: createCallFlow, updateCallFlow,
 * getCallFlow), so an integration that manages its flows over IOVOX's API can manage telenode's:
 *
 * - `createCallFlow` (POST) `<request><callFlow name notes>rules</callFlow></request>` → 201 Created.
 * - `updateCallFlow` (PUT) the same, `name` naming the flow and `newName` renaming it; the next call runs it.
 * - `getCallFlow` (GET `call_flow`) → `<response><callFlow …/></response>`.
 * - `getCallFlows` (GET `page`, `limit`) and `deleteCallFlow` (DELETE `call_flow`): telenode's, in the same style
 *   (the reference's list answer and delete method are not published in enough detail to copy).
 *
 * A flow is checked exactly as a flow file is (the rule tables, contacts, e-mail templates) before it is
 * stored, so a broken flow is a 400 with IOVOX's error string and never reaches a call. Flows belong to the
 * user that uploaded them; `iovox.callFlows[].callFlow` names one for inbound calls.
 */
import type { StoredCallFlow } from '../../store/call-flow-repo.js';
import { parseFlowXml, writeFlowElement, type FlowElement } from '../flow/flow-xml.js';
import { checkCallFlow } from '../flow/parse-call-flow.js';
import { londonTimestamp } from '../london-time.js';
import type { CallFlowApi, IovoxMethod, IovoxMethodContext } from './method.js';
import { IovoxApiError, readIovoxXml } from './xml.js';

/** IOVOX does not publish its limit; a title is shown in lists and logs. */
const MAX_NAME_LENGTH = 100;
const MAX_LIST_LIMIT = 20_000;

const createCallFlow: IovoxMethod = {
  verb: 'POST',
  async run(ctx) {
    const { element, name, notes } = await checkedFlow(ctx);
    const api = ctx.deps.callFlows;
    const created = await api.committer.run(() => api.repo.create({ user: ctx.username, name, notes, xml: writeFlowElement(element), createdAt: now(api) }));
    if (!created) throw new IovoxApiError(400, 'CallFlow Name already exists');
    ctx.deps.log.info({ user: ctx.username, callFlow: name }, 'call flow created');
    return { status: 201, fields: { call_flow: name } };
  },
};

const updateCallFlow: IovoxMethod = {
  verb: 'PUT',
  async run(ctx) {
    const { element, name, notes } = await checkedFlow(ctx);
    const newName = element.attributes['newName']?.trim() || name;
    checkName(newName);
    delete element.attributes['newName'];
    element.attributes['name'] = newName;
    const api = ctx.deps.callFlows;
    const outcome = await api.committer.run(async () => {
      if (!(await api.repo.get(ctx.username, name))) return 'missing';
      if (newName !== name && (await api.repo.get(ctx.username, newName))) return 'taken';
      await api.repo.update(ctx.username, name, { name: newName, notes, xml: writeFlowElement(element), at: now(api) });
      return 'updated';
    });
    if (outcome === 'missing') throw new IovoxApiError(400, "Call Flow Doesn't exist");
    if (outcome === 'taken') throw new IovoxApiError(400, 'CallFlow Name already exists');
    ctx.deps.log.info({ user: ctx.username, callFlow: name, newName }, 'call flow updated');
    return { status: 200, fields: { call_flow: newName } };
  },
};

const getCallFlow: IovoxMethod = {
  verb: 'GET',
  async run(ctx) {
    const flow = await ctx.deps.callFlows.repo.get(ctx.username, ctx.query.get('call_flow')?.trim() ?? '');
    if (!flow) throw new IovoxApiError(400, "Call Flow Doesn't exist");
    return { status: 200, xml: `<?xml version="1.0" encoding="utf-8"?>\n<response>\n${indent(flow.xml)}\n</response>\n` };
  },
};

const getCallFlows: IovoxMethod = {
  verb: 'GET',
  async run(ctx) {
    const page = integer(ctx.query.get('page'), 1, 'Page Number not an integer');
    const limit = integer(ctx.query.get('limit'), MAX_LIST_LIMIT, 'Limit not an integer');
    if (page < 1) throw new IovoxApiError(400, 'Page Number not an integer');
    if (limit < 1 || limit > MAX_LIST_LIMIT) throw new IovoxApiError(400, `Limit must be between 1 and ${MAX_LIST_LIMIT}`);
    // A page past the safe integers is past every list too; the store takes no offset beyond them (SQLite's OFFSET
    // refused 1e22 as a REAL, PostgreSQL's BIGINT as out of range: both an internal error).
    const offset = Math.min((page - 1) * limit, Number.MAX_SAFE_INTEGER);
    const { total, flows } = await ctx.deps.callFlows.repo.list(ctx.username, limit, offset);
    return { status: 200, fields: { total_count: total, call_flows: flows.length > 0 ? { call_flow: flows.map(summary) } : '' } };
  },
};

const deleteCallFlow: IovoxMethod = {
  verb: 'DELETE',
  async run(ctx) {
    const name = ctx.query.get('call_flow')?.trim() ?? '';
    const api = ctx.deps.callFlows;
    if (!(await api.committer.run(() => api.repo.delete(ctx.username, name)))) throw new IovoxApiError(400, "Call Flow Doesn't exist");
    ctx.deps.log.info({ user: ctx.username, callFlow: name }, 'call flow deleted');
    return { status: 200, fields: { call_flow: name } };
  },
};

export const CALL_FLOW_METHODS = new Map<string, IovoxMethod>([
  ['createCallFlow', createCallFlow],
  ['updateCallFlow', updateCallFlow],
  ['getCallFlow', getCallFlow],
  ['getCallFlows', getCallFlows],
  ['deleteCallFlow', deleteCallFlow],
]);

/** The request's `<callFlow>`, checked as a flow file is, with its `name` and `notes`. */
async function checkedFlow(ctx: IovoxMethodContext): Promise<{ element: FlowElement; name: string; notes: string }> {
  const root = parseFlowXml(readIovoxXml(ctx.body));
  const element = root.name === 'request' ? root.children.find((c) => c.name === 'callFlow') : undefined;
  if (!element) throw new IovoxApiError(400, 'Request Empty');
  const name = element.attributes['name']?.trim() ?? '';
  checkName(name);
  if (element.children.length === 0) throw new IovoxApiError(400, 'There are no Rules in this Template');
  await checkCallFlow(element, ctx.deps.callFlows.context);
  return { element, name, notes: element.attributes['notes'] ?? '' };
}

function checkName(name: string): void {
  if (name === '') throw new IovoxApiError(400, 'CallFlow Name Empty');
  if (name.length > MAX_NAME_LENGTH) throw new IovoxApiError(400, 'CallFlow Name too long');
}

function integer(raw: string | undefined, fallback: number, error: string): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new IovoxApiError(400, error);
  return Number(raw.trim());
}

function summary(flow: StoredCallFlow): Record<string, unknown> {
  return { template_name: flow.name, template_notes: flow.notes, created: londonTimestamp(flow.createdAt), updated: londonTimestamp(flow.updatedAt) };
}

function indent(xml: string): string {
  return xml
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function now(api: CallFlowApi): number {
  return (api.now ?? Date.now)();
}
