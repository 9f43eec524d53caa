/**
 * iovox.callFlows: flow files are read and checked at start-up (a broken one
 * names its entry and stops the daemon), uploaded flows when a call starts;
 * a call's called number picks the flow.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/shared/log.js';
import { parseConfig } from '../../../src/config/load.js';
import type { FlowContext } from '../../../src/iovox/flow/flow.js';
import { inboundCallFlowRouter, loadInboundCallFlows } from '../../../src/iovox/inbound-flows.js';
import type { CallSession } from '../../../src/voice/call-session.js';
import { tempDir } from '../../helpers/temp-dir.js';

const ctx: FlowContext = { findContact: () => undefined, partnerName: 'ACME', sendSmsRule: true, emailTemplates: new Set() };
const users = new Set(['alice']);
const files = tempDir('telenode-inbound-flows-');
afterAll(() => files.remove());
const READ_OUT = 'test/fixtures/iovox/sms-read-out.xml';

function flowFile(name: string, xml: string): string {
  const path = join(files.path, name);
  writeFileSync(path, xml);
  return path;
}

const entry = (over: Record<string, unknown>) => ({ match: '*', callFlowFile: READ_OUT, user: 'alice', bindings: {}, ...over });
const session = (called: string) => ({ info: { to: { user: called }, from: { user: '447555000111' } } }) as unknown as CallSession;

describe('IOVOX inbound call flows', () => {
  it('picks the first entry whose match fits the called number, and leaves the others to OzML', async () => {
    const flows = await loadInboundCallFlows([entry({ match: '442079460000' }), entry({ match: '/^4420/' })], ctx, users);
    const route = inboundCallFlowRouter(flows, { sms: { accept: async () => ({ id: 'x' }) }, flows: ctx, stored: async () => null, log: silentLogger() });
    expect(route(session('442079460000'))).toBeTypeOf('function');
    expect(route(session('442071234567'))).toBeTypeOf('function');
    expect(route(session('1000'))).toBeNull();
    expect(flows.map((f) => f.flow?.name)).toEqual(['SMS READ OUT', 'SMS READ OUT']);
  });

  it('refuses an unknown API user, an unreadable file, a flow with an IOVOX error, and bindings that name no sendSms rule', async () => {
    await expect(loadInboundCallFlows([entry({ user: 'bob' })], ctx, users)).rejects.toThrow("iovox.callFlows[0] (match '*'): no API user 'bob'");
    await expect(loadInboundCallFlows([entry({ callFlowFile: join(files.path, 'missing.xml') })], ctx, users)).rejects.toThrow(
      /iovox\.callFlows\[0\] \(match '\*'\): cannot read call flow .*missing\.xml/,
    );
    const noId = flowFile(
      'no-id.xml',
      '<callFlow name="X"><sendSms label="L" from="$_partnerName" destinationPhoneNumber="447400000000" message="hi" /></callFlow>',
    );
    await expect(loadInboundCallFlows([entry({ callFlowFile: noId })], ctx, users)).rejects.toThrow(/Rule ID Empty/);
    await expect(loadInboundCallFlows([entry({ bindings: { nope: { message: 'x' } } })], ctx, users)).rejects.toThrow(
      "bindings name 'nope', which is not a sendSms rule of its call flow",
    );
  });

  it('an uploaded flow (callFlow, a name) is read when the call starts; one that does not exist fails that call, not the start-up', async () => {
    const flows = await loadInboundCallFlows([{ match: '*', callFlow: 'UPLOADED', user: 'alice', bindings: {} }], ctx, users);
    expect(flows[0]!.flow).toBeNull();
    const asked: string[] = [];
    const route = inboundCallFlowRouter(flows, {
      sms: { accept: async () => ({ id: 'x' }) },
      flows: ctx,
      stored: async (user, name) => (asked.push(`${user}/${name}`), null),
      log: silentLogger(),
    });
    const handler = route(session('442079460000'))!;
    await expect(handler({ info: { from: { user: '447555000111' } } } as never)).rejects.toThrow("user 'alice' has no call flow 'UPLOADED'");
    expect(asked).toEqual(['alice/UPLOADED']);
  });

  it('an entry gives a flow file or an uploaded flow, not both and not neither', () => {
    for (const entry of [
      { match: '*', user: 'alice' },
      { match: '*', user: 'alice', callFlow: 'A', callFlowFile: READ_OUT },
    ]) {
      expect(() => parseConfig({ iovox: { callFlows: [entry] } })).toThrow('give either callFlowFile or callFlow');
    }
  });
});
