/**
 * IOVOX <callFlow> documents: seed 001's SMS READ OUT flow and seed 000's
 * sendSms examples load as typed rules; every row of seed 000's error table
 * is reported with its exact string, and with where the rule is.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addressBookOn, sqliteStore } from '../../support/sqlite-store.js';
import { parseCallFlow } from '../../../src/iovox/flow/parse-call-flow.js';
import { IovoxFlowError } from '../../../src/iovox/flow/flow-error.js';
import type { FlowContext, SendSmsRule } from '../../../src/iovox/flow/flow.js';

const store = sqliteStore();
afterAll(() => store.close());
const book = addressBookOn(store);
await book.add({ displayName: 'Bob', phoneNumbers: ['+44 7400 000000'], primaryEmails: ['bob@example.test'] });
await book.add({ displayName: '1', phoneNumbers: ['447400000000'] });
await book.add({ displayName: 'Bob', phoneNumbers: ['447400000001'] });

function context(overrides: Partial<FlowContext> = {}): FlowContext {
  return {
    findContact: (selector) => book.resolve(selector),
    partnerName: '447411111111',
    sendSmsRule: true,
    emailTemplates: new Set(['default', 'missed']),
    ...overrides,
  };
}

const flow = (rules: string) => `<callFlow name="test">\n  ${rules}\n</callFlow>`;
const sendSms = async (xml: string, ctx = context()) => (await parseCallFlow(flow(xml), ctx)).rules[0] as SendSmsRule;

async function errorOf(xml: string, ctx = context()): Promise<IovoxFlowError> {
  try {
    await parseCallFlow(xml, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(IovoxFlowError);
    return err as IovoxFlowError;
  }
  throw new Error('the flow was accepted');
}

describe("seed 001's SMS READ OUT flow", () => {
  it('parses into one play rule with three textToSpeech items, as written', async () => {
    const xml = readFileSync(join(process.cwd(), 'test/fixtures/iovox/sms-read-out.xml'), 'utf8');
    const parsed = await parseCallFlow(xml, context());
    expect(parsed).toEqual({
      name: 'SMS READ OUT',
      rules: [
        {
          kind: 'play',
          id: 'sms_read_out',
          label: 'SMS READ OUT',
          position: { line: 2, column: 5 },
          items: [
            { textToSpeak: 'You have received an SMS from', voice: 'tts_uk_eng_male' },
            { textToSpeak: '$sms_origin', voice: 'tts_uk_eng_male' },
            { textToSpeak: '$content', voice: 'tts_uk_eng_male' },
          ],
        },
      ],
    });
  });
});

describe("seed 000's sendSms examples", () => {
  it('the attribute template: every contact detail a variable', async () => {
    const rule = await sendSms(
      '<sendSms id="sendSms_1" label="sendSms_1" from="$_partnerName" destinationPhoneNumber="?" destinationContactId="?" destinationContactName="?" message="Text" />',
    );
    expect(rule).toMatchObject({
      id: 'sendSms_1',
      label: 'sendSms_1',
      from: '$_partnerName',
      destinationPhoneNumber: { kind: 'variable' },
      destinationContactId: { kind: 'variable' },
      destinationContactName: { kind: 'variable' },
      message: { kind: 'fixed', value: 'Text' },
      callbackUrl: null,
      callbackUrlHeaders: {},
      smsAlert: { mode: 'NONE', destinationType: 'PRIMARY', destinationBehaviour: 'FIRST', emailTemplateName: null, from: null, fromName: null },
    });
  });

  it('a fixed contact by name and phone number', async () => {
    const rule = await sendSms(
      '<sendSms label="sendSms_1" from="$_partnerName" id="sendConfirmationSms" destinationPhoneNumber="447400000000" destinationContactName="Bob" message="This is a message from IOVOX!!" />',
    );
    expect(rule).toMatchObject({
      id: 'sendConfirmationSms',
      destinationPhoneNumber: { kind: 'fixed', value: '447400000000' },
      destinationContactName: { kind: 'fixed', value: 'Bob' },
      destinationContactId: null,
      message: { kind: 'fixed', value: 'This is a message from IOVOX!!' },
    });
  });

  it('a fixed contact by id and phone number', async () => {
    const rule = await sendSms(
      '<sendSms label="sendSms_1" from="$_partnerName" id="sendConfirmationSms" destinationPhoneNumber="447400000000" destinationContactId="1" message="This is a message from IOVOX!!" />',
    );
    expect(rule.destinationContactId).toEqual({ kind: 'fixed', value: '1' });
  });

  it('variable values', async () => {
    const rule = await sendSms(
      '<sendSms label="sendSms_1" from="$_partnerName" id="sendConfirmationSms" destinationPhoneNumber="?" destinationContactName="?" message="This is a message from IOVOX!!" />',
    );
    expect(rule.destinationPhoneNumber).toEqual({ kind: 'variable' });
    expect(rule.destinationContactName).toEqual({ kind: 'variable' });
  });

  it('a delivery receipt callback with headers (an empty callbackUrl means none)', async () => {
    const rule = await sendSms(
      '<sendSms label="sendSms_1" from="$_partnerName" id="sendConfirmationSms" destinationPhoneNumber="447400000000" destinationContactName="1" message="This is a message from IOVOX!!" callbackUrl="" callbackUrlHeaders="Content-Type: application/json,X-Custom-Header: iovox" />',
    );
    expect(rule.callbackUrl).toBeNull();
    expect(rule.callbackUrlHeaders).toEqual({ 'Content-Type': 'application/json', 'X-Custom-Header': 'iovox' });
  });

  it('every smsAlert attribute', async () => {
    const rule = await sendSms(
      '<sendSms id="a" label="a" from="$_partnerName" destinationContactId="1" message="m" smsAlert="FAILED_SMS" smsAlertDestinationType="BOTH" smsAlertDestinationBehaviour="ALL" smsAlertEmailTemplateName="missed" smsAlertFrom="alerts@example.test" smsAlertFromName="Alerts" callbackUrl="https://example.test/dlr" />',
    );
    expect(rule.smsAlert).toEqual({
      mode: 'FAILED_SMS',
      destinationType: 'BOTH',
      destinationBehaviour: 'ALL',
      emailTemplateName: 'missed',
      from: 'alerts@example.test',
      fromName: 'Alerts',
    });
    expect(rule.callbackUrl).toBe('https://example.test/dlr');
  });

  it('sendSmsAlert, the name real IOVOX flows use, sets the mode (smsAlert stays an alias)', async () => {
    const rule = await sendSms('<sendSms id="a" label="a" from="$_partnerName" destinationContactId="1" message="m" sendSmsAlert="ALL_SMS" />');
    expect(rule.smsAlert.mode).toBe('ALL_SMS');
  });
});

describe("every row of seed 000's error table", () => {
  const ok = 'from="$_partnerName" destinationPhoneNumber="447400000000" destinationContactId="1" message="Hi"';
  const rows: Array<{ text: string; xml: string; ctx?: Partial<FlowContext>; status?: number }> = [
    { text: "You don't have access to this feature: sendSms", xml: `<sendSms id="s" label="s" ${ok} />`, ctx: { sendSmsRule: false }, status: 403 },
    { text: 'Rule ID Empty', xml: `<sendSms label="s" ${ok} />` },
    { text: 'Rule ID Empty', xml: `<sendSms id="" label="s" ${ok} />` },
    { text: 'Rule Label Empty', xml: `<sendSms id="s" ${ok} />` },
    { text: 'Message Empty', xml: '<sendSms id="s" label="s" from="$_partnerName" destinationContactId="1" />' },
    { text: 'Message Empty', xml: '<sendSms id="s" label="s" from="$_partnerName" destinationContactId="1" message=" " />' },
    { text: 'Sender Empty', xml: '<sendSms id="s" label="s" destinationContactId="1" message="Hi" />' },
    { text: 'Sender Invalid', xml: '<sendSms id="s" label="s" from="447411111111" destinationContactId="1" message="Hi" />' },
    { text: 'Sender Invalid', xml: '<sendSms id="s" label="s" from="$partnerName" destinationContactId="1" message="Hi" />' },
    { text: 'You need to select a Contact', xml: '<sendSms id="s" label="s" from="$_partnerName" message="Hi" />' },
    { text: 'You need to select a Contact', xml: '<sendSms id="s" label="s" from="$_partnerName" destinationPhoneNumber="447400000000" message="Hi" />' },
    {
      text: 'Contact cannot have Variable and Fix details at the same time',
      xml: '<sendSms id="s" label="s" from="$_partnerName" destinationPhoneNumber="447400000000" destinationContactName="?" message="Hi" />',
    },
    {
      text: 'Contact cannot have Variable and Fix details at the same time',
      xml: '<sendSms id="s" label="s" from="$_partnerName" destinationPhoneNumber="?" destinationContactId="1" message="Hi" />',
    },
    {
      text: 'Phone Number Invalid',
      xml: '<sendSms id="s" label="s" from="$_partnerName" destinationPhoneNumber="07400000000" destinationContactId="1" message="Hi" />',
    },
    {
      text: 'Phone Number Invalid',
      xml: '<sendSms id="s" label="s" from="$_partnerName" destinationPhoneNumber="+447400000000" destinationContactId="1" message="Hi" />',
    },
    { text: 'Destination Contact does not exist', xml: '<sendSms id="s" label="s" from="$_partnerName" destinationContactId="99" message="Hi" />' },
    { text: 'Destination Contact does not exist', xml: '<sendSms id="s" label="s" from="$_partnerName" destinationContactName="Alice" message="Hi" />' },
    {
      text: 'Destination Contact does not exist',
      xml: '<sendSms id="s" label="s" from="$_partnerName" destinationPhoneNumber="447400000009" destinationContactName="Bob" message="Hi" />',
    },
    { text: 'Sender is not internationalised', xml: `<sendSms id="s" label="s" ${ok} />`, ctx: { partnerName: '07411111111' } },
    { text: 'Sender is not internationalised', xml: `<sendSms id="s" label="s" ${ok} />`, ctx: { partnerName: '+447411111111' } },
  ];
  for (const row of rows) {
    it(`${row.status ?? 400} ${row.text}: ${row.xml.slice(0, 90)}`, async () => {
      const err = await errorOf(flow(row.xml), context(row.ctx));
      expect(err.text).toBe(row.text);
      expect(err.status).toBe(row.status ?? 400);
      expect(err.position).toEqual({ line: 2, column: 3 });
      expect(err.message).toContain('line 2, column 3');
    });
  }

  it('an alphanumeric $_partnerName is a valid sender', async () => {
    expect((await sendSms(`<sendSms id="s" label="s" ${ok} />`, context({ partnerName: 'ACME' }))).id).toBe('s');
  });

  it('the first contact with a name that owns the number wins', async () => {
    // Two contacts are called Bob; the rule's number belongs to the second.
    expect(
      (await sendSms('<sendSms id="s" label="s" from="$_partnerName" destinationPhoneNumber="447400000001" destinationContactName="bob" message="Hi" />')).id,
    ).toBe('s');
  });
});

describe('other problems a flow can have', () => {
  const cases: Array<{ text: string; xml: string }> = [
    { text: "XML parse error. Unclosed tag 'callFlow' at line 1, column 1", xml: '<callFlow name="x">\n  <play id="a" label="a"/>' },
    {
      text: "XML parse error. Expected closing tag 'play' (opened in line 2, col 3) instead of closing tag 'callFlow' at line 3, column 1",
      xml: '<callFlow name="x">\n  <play id="a" label="a">\n</callFlow>',
    },
    { text: 'Call Flow Invalid: flow', xml: '<flow><play id="a" label="a"/></flow>' },
    { text: 'Call Flow Empty', xml: '<callFlow name="x"></callFlow>' },
    { text: 'Rule Not Supported: dial', xml: flow('<dial id="d" label="d" />') },
    {
      text: 'Rule ID Duplicated: a',
      xml: flow(
        '<play id="a" label="a"><textToSpeech textToSpeak="x" voice="v"/></play><play id="a" label="b"><textToSpeech textToSpeak="y" voice="v"/></play>',
      ),
    },
    { text: 'Play Empty', xml: flow('<play id="a" label="a"></play>') },
    { text: 'Text To Speak Empty', xml: flow('<play id="a" label="a"><textToSpeech voice="v"/></play>') },
    { text: 'Voice Empty', xml: flow('<play id="a" label="a"><textToSpeech textToSpeak="x"/></play>') },
    {
      text: 'SMS Alert Invalid: SOMETIMES',
      xml: flow('<sendSms id="s" label="s" from="$_partnerName" destinationContactId="1" message="m" smsAlert="SOMETIMES" />'),
    },
    {
      text: 'SMS Alert Invalid: NEVER_EVER',
      xml: flow('<sendSms id="s" label="s" from="$_partnerName" destinationContactId="1" message="m" sendSmsAlert="NEVER_EVER" />'),
    },
    {
      text: 'SMS Alert Destination Type Invalid: WORK',
      xml: flow('<sendSms id="s" label="s" from="$_partnerName" destinationContactId="1" message="m" smsAlertDestinationType="WORK" />'),
    },
    {
      text: 'SMS Alert Destination Behaviour Invalid: LAST',
      xml: flow('<sendSms id="s" label="s" from="$_partnerName" destinationContactId="1" message="m" smsAlertDestinationBehaviour="LAST" />'),
    },
    {
      text: 'SMS Alert Email Template Invalid: nope',
      xml: flow('<sendSms id="s" label="s" from="$_partnerName" destinationContactId="1" message="m" smsAlertEmailTemplateName="nope" />'),
    },
    {
      text: 'SMS Alert From Invalid: alerts',
      xml: flow('<sendSms id="s" label="s" from="$_partnerName" destinationContactId="1" message="m" smsAlertFrom="alerts" />'),
    },
    {
      text: 'Callback URL Invalid: ftp://x/y',
      xml: flow('<sendSms id="s" label="s" from="$_partnerName" destinationContactId="1" message="m" callbackUrl="ftp://x/y" />'),
    },
    {
      text: 'Callback URL Headers Invalid: no colon',
      xml: flow('<sendSms id="s" label="s" from="$_partnerName" destinationContactId="1" message="m" callbackUrlHeaders="no colon" />'),
    },
  ];
  for (const c of cases) {
    it(c.text, async () => {
      expect((await errorOf(c.xml)).text).toBe(c.text);
    });
  }
});
