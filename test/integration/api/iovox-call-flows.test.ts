/**
 * IOVOX's call-flow methods (issue 19 item 12) over real HTTP against a running daemon: createCallFlow,
 * getCallFlow, getCallFlows, updateCallFlow, deleteCallFlow, with IOVOX's error strings as HTTP 400 answers.
 * The calls that run an uploaded flow are in test/integration/iovox/failover-call.test.ts.
 */
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, TEST_USER } from '../../helpers/in-process-daemon.js';
import { iovoxRequest } from '../../helpers/iovox-client.js';
import { hashPassword } from '../../../src/shared/password-hash.js';

const OTHER = { username: 'other', password: 'other-secret' };
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false });
let env: Awaited<ReturnType<typeof startDaemon>>;

const callFlow = (attributes: string, rules: string) => `<?xml version="1.0" encoding="utf-8"?>
<request>
  <callFlow ${attributes}>
    ${rules}
  </callFlow>
</request>`;
const PLAY = '<play id="greet" label="GREET"><textToSpeech textToSpeak="Hello &amp; welcome" voice="tts_uk_eng_male" /></play>';
const SMS = '<sendSms id="sms_1" label="SMS" from="$_partnerName" destinationPhoneNumber="447400000000" destinationContactName="Bob" message="Hi" />';

const call = (method: string, body?: string, options: { verb?: string; query?: string; user?: typeof OTHER } = {}) =>
  iovoxRequest(env.base, body, {
    path: '/CallFlow',
    query: `v=3&method=${method}${options.query ?? ''}`,
    method: options.verb ?? (body === undefined ? 'GET' : 'POST'),
    ...(options.user ? { headers: { username: options.user.username, secureKey: options.user.password } } : {}),
  });
const flowCount = () => (env.daemon.db.prepare('SELECT COUNT(*) AS n FROM call_flows').get() as { n: number }).n;

beforeAll(async () => {
  env = await startDaemon({
    users: [
      { username: TEST_USER.username, passwordHash: hashPassword(TEST_USER.password) },
      { username: OTHER.username, passwordHash: hashPassword(OTHER.password) },
    ],
    voice: { enabled: false },
  });
  await env.daemon.extras.contacts.add({ id: '1', displayName: 'Bob', phoneNumbers: ['447400000000'] });
});

afterAll(async () => {
  await env.stop();
});

describe('IOVOX call flows over the API', () => {
  it('creates a flow (201), reads it back with getCallFlow, and lists it with getCallFlows', async () => {
    const created = await call('createCallFlow', callFlow('name="Call Agent" notes="Will greet, then text Bob."', PLAY + SMS));
    expect([created.httpStatus, created.error]).toEqual([201, undefined]);
    expect(created.xml).toContain('<call_flow>Call Agent</call_flow>');

    const got = await call('getCallFlow', undefined, { query: '&call_flow=Call%20Agent' });
    expect(got.httpStatus).toBe(200);
    const doc = parser.parse(got.xml) as { response: { callFlow: Record<string, unknown> } };
    expect(doc.response.callFlow).toMatchObject({
      name: 'Call Agent',
      notes: 'Will greet, then text Bob.',
      play: { id: 'greet', label: 'GREET', textToSpeech: { textToSpeak: 'Hello & welcome', voice: 'tts_uk_eng_male' } },
      sendSms: { id: 'sms_1', destinationContactName: 'Bob', message: 'Hi' },
    });

    const listed = await call('getCallFlows');
    const list = parser.parse(listed.xml) as { response: { total_count: string; call_flows: { call_flow: Record<string, string> } } };
    expect(list.response.total_count).toBe('1');
    expect(list.response.call_flows.call_flow).toMatchObject({ template_name: 'Call Agent', template_notes: 'Will greet, then text Bob.' });
  });

  it("refuses a broken flow with IOVOX's error string and stores nothing", async () => {
    const before = flowCount();
    const cases: Array<[string | undefined, string, string?]> = [
      [undefined, 'Request Method must be POST. GET attempted'],
      ['', 'XML Empty'],
      ['<request><callFlow name="x">', 'XML parse error'],
      ['<request><origin>1</origin></request>', 'Request Empty'],
      [callFlow('name="No rules"', ''), 'There are no Rules in this Template'],
      [callFlow('notes="nameless"', PLAY), 'CallFlow Name Empty'],
      [callFlow(`name="${'x'.repeat(101)}"`, PLAY), 'CallFlow Name too long'],
      [callFlow('name="No id"', '<play label="P"><textToSpeech textToSpeak="hi" voice="tts_uk_eng_male" /></play>'), 'Rule ID Empty'],
      [callFlow('name="Bad sender"', SMS.replace('$_partnerName', 'ACME')), 'Sender Invalid'],
      [callFlow('name="Nobody"', SMS.replace('Bob', 'Zed')), 'Destination Contact does not exist'],
      [callFlow('name="Call Agent"', PLAY), 'CallFlow Name already exists'],
    ];
    for (const [body, text] of cases) {
      const reply = await call('createCallFlow', body, body === undefined ? { verb: 'GET' } : {});
      expect(reply.httpStatus, text).toBe(400);
      expect(reply.error?.text, text).toContain(text);
    }
    expect(flowCount()).toBe(before);
  });

  it('updates a flow under a new name (the next call runs it), and deletes it', async () => {
    const update = callFlow('name="Call Agent" newName="Call Agent + SMS" notes="v2"', SMS);
    expect((await call('updateCallFlow', update)).error?.text).toBe('Request Method must be PUT. POST attempted');
    const updated = await call('updateCallFlow', update, { verb: 'PUT' });
    expect([updated.httpStatus, updated.error]).toEqual([200, undefined]);
    expect((await call('getCallFlow', undefined, { query: '&call_flow=Call%20Agent' })).error).toEqual({ status: '400', text: "Call Flow Doesn't exist" });
    const renamed = parser.parse((await call('getCallFlow', undefined, { query: '&call_flow=Call%20Agent%20%2B%20SMS' })).xml) as {
      response: { callFlow: Record<string, unknown> };
    };
    expect(renamed.response.callFlow).toMatchObject({ name: 'Call Agent + SMS', notes: 'v2', sendSms: { id: 'sms_1' } });
    expect(renamed.response.callFlow['play']).toBeUndefined();
    expect(renamed.response.callFlow['newName']).toBeUndefined();

    const missing = await call('updateCallFlow', callFlow('name="Never made"', PLAY), { verb: 'PUT' });
    expect(missing.error?.text).toBe("Call Flow Doesn't exist");

    expect((await call('deleteCallFlow', undefined, { verb: 'DELETE', query: '&call_flow=Call%20Agent%20%2B%20SMS' })).httpStatus).toBe(200);
    expect((await call('deleteCallFlow', undefined, { verb: 'DELETE', query: '&call_flow=Call%20Agent%20%2B%20SMS' })).error?.text).toBe(
      "Call Flow Doesn't exist",
    );
  });

  it("keeps each user's flows to that user", async () => {
    expect((await call('createCallFlow', callFlow('name="Mine"', PLAY))).httpStatus).toBe(201);
    expect((await call('getCallFlow', undefined, { query: '&call_flow=Mine', user: OTHER })).error?.text).toBe("Call Flow Doesn't exist");
    // The same name is free for another user.
    expect((await call('createCallFlow', callFlow('name="Mine"', PLAY), { user: OTHER })).httpStatus).toBe(201);
    const list = parser.parse((await call('getCallFlows', undefined, { user: OTHER, query: '&limit=0' })).xml) as unknown;
    expect(JSON.stringify(list)).toContain('Limit must be between 1 and 20000');
    // A page past any list is an empty one, however far: not an error of the store's.
    const farPage = await call('getCallFlows', undefined, { user: OTHER, query: '&page=99999999999999999999' });
    expect([farPage.httpStatus, JSON.stringify(parser.parse(farPage.xml))]).toEqual([200, expect.stringContaining('"total_count":"1","call_flows":""')]);
    const wrongPassword = await call('getCallFlows', undefined, { user: { ...OTHER, password: 'guess' } });
    expect([wrongPassword.httpStatus, wrongPassword.error?.text]).toEqual([401, 'HTTP 401: Unauthorized']);
  });
});
