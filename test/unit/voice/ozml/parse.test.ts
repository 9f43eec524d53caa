/** The OzML parser: typed commands, line/column in every error, case-insensitive names, text as main parameter, $name substitution. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintOzml, parseOzml, parseReply } from '../../../../src/voice/ozml/parse.js';
import { Scope } from '../../../../src/voice/ozml/substitute.js';
import { OzmlError } from '../../../../src/voice/ozml/xml.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/ozml');

function errorOf(source: string): OzmlError {
  try {
    parseOzml(source);
  } catch (err) {
    expect(err).toBeInstanceOf(OzmlError);
    return err as OzmlError;
  }
  throw new Error('expected a parse error');
}

describe('parseOzml', () => {
  it("parses seed 002's script into typed commands in order, the SendSms text from the element's content", () => {
    const script = parseOzml(readFileSync(join(FIXTURES, 'seed-002.xml'), 'utf8'));
    expect(script.commands.map((c) => c.verb)).toEqual(['Speak', 'SendSms', 'Speak', 'Hangup']);
    expect(script.commands[0]!.args).toMatchObject({ text: 'An SMS will be sent to +062554670.' });
    expect(script.commands[1]!.args).toEqual({
      recipient: '+062554670',
      sender: null,
      text: 'Hello! How are you?',
      callbackUrl: null,
      waitMs: 0,
      onDelivered: [],
      onFailed: [],
      onTimeout: [],
    });
  });

  it('reads SendSms WaitForReport with its OnDelivered/OnFailed/OnTimeout blocks, and refuses them without WaitForReport', () => {
    const script = parseOzml(
      '<Response><SendSms Recipient="+1" Message="hi" WaitForReport="30"><OnDelivered><Speak>yes</Speak></OnDelivered><OnFailed><Speak>no</Speak><Hangup/></OnFailed></SendSms></Response>',
    );
    expect(script.commands[0]!.args).toMatchObject({ text: 'hi', waitMs: 30_000 });
    const args = script.commands[0]!.args as { onDelivered: unknown[]; onFailed: unknown[]; onTimeout: unknown[] };
    expect([args.onDelivered.length, args.onFailed.length, args.onTimeout.length]).toEqual([1, 2, 0]);
    expect(errorOf('<Response>\n<SendSms Recipient="+1" Message="hi">\n<OnDelivered><Speak>yes</Speak></OnDelivered></SendSms></Response>').message).toBe(
      '3:1: <OnDelivered> needs WaitForReport on its <SendSms>',
    );
    expect(errorOf('<Response><SendSms Recipient="+1" Message="hi" WaitForReport="30"><Speak>x</Speak></SendSms></Response>').message).toMatch(
      /<SendSms> may hold <OnDelivered>, <OnFailed> and <OnTimeout>, not <Speak>/,
    );
  });

  it("reads Request with its OnSetup and OnError blocks, and refuses a block Ozeki's page does not show", () => {
    const script = parseOzml(
      '<Response><Request DialedAddress="102@pbx" RingTime="20"><OnSetup><Speak>wait</Speak></OnSetup><OnError><Hangup/></OnError></Request></Response>',
    );
    expect(script.commands[0]!.args).toMatchObject({ dialed: '102@pbx', ringSeconds: 20, extension: null });
    expect(errorOf('<Response><Request DialedAddress="102@pbx"><OnRinging><Speak>x</Speak></OnRinging></Request></Response>').message).toMatch(
      /<Request> may hold <OnSetup> and <OnError> \(all Ozeki's page shows\), not <OnRinging>/,
    );
    expect(errorOf('<Response><Request/></Response>').message).toMatch(/<Request> needs a DialedAddress/);
    expect(errorOf('<Response><CallSetup Caller="1"/></Response>').message).toMatch(/<CallSetup> needs both Caller and Callee/);
  });

  it('treats tag and attribute names case-insensitively and takes a main parameter from an attribute or the text', () => {
    const script = parseOzml(
      '<response><SPEAK LANGUAGE="en-GB" text="From the attribute"/><speak>From the text</speak><sendsms recipient="+1555" delivaryreporturl="http://x/dlr" MESSAGE="hi"/><delay time="2"/><Delay>0.5</Delay></response>',
    );
    expect(script.commands.map((c) => c.args)).toEqual([
      { text: 'From the attribute', language: 'en-GB', voice: null },
      { text: 'From the text', language: null, voice: null },
      { recipient: '+1555', sender: null, text: 'hi', callbackUrl: 'http://x/dlr', waitMs: 0, onDelivered: [], onFailed: [], onTimeout: [] },
      { ms: 2000 },
      { ms: 500 },
    ]);
  });

  it('reports a malformed document with the line and column of the fault', () => {
    const err = errorOf('<Response>\n  <Speak>Hello</Speek>\n</Response>');
    expect(err.code).toBe('TN_ERR_OZML_INVALID');
    expect(err.details).toEqual({ line: 2, column: 15 });
    expect(err.message).toMatch(/^2:15: not well-formed XML/);
  });

  it('reports an unknown verb and a bad attribute at the element, on its line', () => {
    expect(errorOf('<Response>\n\n    <Dance/>\n</Response>').details).toEqual({ line: 3, column: 5 });
    const bad = errorOf('<Response>\n<UserInput Timeout="soon"/></Response>');
    expect(bad.message).toBe('2:1: <UserInput> Timeout="soon" is not a number between 0 and 3600');
  });

  it('accepts Reject as the first command and refuses it anywhere else with its line', () => {
    expect(parseOzml('<Response><Reject/><Speak>never</Speak></Response>').commands[0]!.verb).toBe('Reject');
    const err = errorOf('<Response>\n  <Speak>hi</Speak>\n  <Reject/>\n</Response>');
    expect(err.message).toBe('3:3: <Reject> is only allowed as the first command');
    // Nor inside a block, even as the block's first command.
    expect(errorOf('<Response><UserInput><Inputs><Input Key="1"><Reject/></Input></Inputs></UserInput></Response>').message).toMatch(
      /only allowed as the first/,
    );
  });

  it('parses a nested UserInput menu with keys, BackKey and ForwardToURL', () => {
    const script = parseOzml(`<Response><UserInput Repeat="true" Timeout="3" ForwardToURL="http://app/dtmf">
      <InitialCommands><Speak>Menu</Speak></InitialCommands>
      <Inputs><Input Key="1"><UserInput BackKey="*"><InitialCommands><Beep/></InitialCommands></UserInput></Input><Input Key="2"><Hangup/></Input></Inputs>
    </UserInput></Response>`);
    const menu = script.commands[0]!.args as {
      timeoutMs: number;
      repeat: boolean;
      forwardToUrl: string;
      inputs: { key: string; commands: { verb: string; args: { backKey: string } }[] }[];
    };
    expect(menu).toMatchObject({ timeoutMs: 3000, repeat: true, forwardToUrl: 'http://app/dtmf' });
    expect(menu.inputs.map((i) => i.key)).toEqual(['1', '2']);
    expect(menu.inputs[0]!.commands[0]!.verb).toBe('UserInput');
    expect(menu.inputs[0]!.commands[0]!.args.backKey).toBe('*');
  });

  it('refuses a root other than Response and an empty document', () => {
    expect(errorOf('<Request><Speak>x</Speak></Request>').message).toMatch(/root element must be <Response>/);
    expect(errorOf('   ').message).toMatch(/empty/);
  });

  it('reads an empty reply or a Response without commands as "nothing to run"', () => {
    expect(parseReply('', 'x')).toBeNull();
    expect(parseReply('<?xml version="1.0"?><Response/>', 'x')).toBeNull();
    expect(parseReply('<Response><Hangup/></Response>', 'x')!.commands).toHaveLength(1);
  });
});

describe('lintOzml', () => {
  it('lists every error of a bad script in order, and none for the good fixtures', () => {
    const errors = lintOzml(readFileSync(join(FIXTURES, 'bad.xml'), 'utf8')).map((e) => e.message);
    expect(errors).toEqual([
      '3:3: <Reject> is only allowed as the first command',
      '4:3: unknown command <Dance>',
      '5:3: <UserInput> Digits="x" is not an integer between 1 and 32',
      '8:3: <SendSms> needs a Recipient',
    ]);
    expect(lintOzml(readFileSync(join(FIXTURES, 'good-menu.xml'), 'utf8'))).toEqual([]);
  });
});

describe('$name substitution', () => {
  it('substitutes Var values and leaves unknown names as written', () => {
    const scope = new Scope();
    scope.set('Name', 'Alice');
    expect(scope.substitute('Hello $name, you owe $5 to $nobody.')).toBe('Hello Alice, you owe $5 to $nobody.');
  });

  it("gives a ForEach turn its own $item while Var writes reach the script's scope", () => {
    const root = new Scope();
    const turn = root.child();
    turn.local('item', 'tea');
    turn.set('last', 'tea');
    expect(turn.substitute('$item/$last')).toBe('tea/tea');
    expect(root.substitute('$item/$last')).toBe('$item/tea');
  });
});
