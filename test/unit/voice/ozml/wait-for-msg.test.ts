/** WaitForMsg (issue 19 item 4): a script waits for an SMS from the caller and branches on it. */
import { describe, expect, it } from 'vitest';
import { parseOzml } from '../../../../src/voice/ozml/parse.js';
import { runScript } from '../../../../src/voice/ozml/run.js';
import { fakeCall } from '../../../support/fake-call.js';

const script = (body: string) => parseOzml(`<Response>${body}</Response>`);
const WAIT =
  '<WaitForMsg Timeout="30"><OnReceived><SendSms Recipient="+1">got $MsgText from $MsgSender</SendSms></OnReceived>' +
  '<OnTimeout><SendSms Recipient="+1">nothing [$MsgText]</SendSms></OnTimeout></WaitForMsg><SendSms Recipient="+2">after</SendSms>';

describe('WaitForMsg', () => {
  it("answers the call, waits for the caller's SMS (by default from $Caller) and runs OnReceived with $MsgText, then goes on", async () => {
    const call = fakeCall();
    call.ctx.vars.set('Caller', '+3630444');
    call.inboundSms = { id: 'in-1', sender: '3630444', recipient: '3612345', text: 'code 4711' };
    expect(await runScript(script(WAIT), call.ctx)).toBe('end-of-script');
    expect(call.events).toEqual(['answer', 'inbound-wait:+3630444>* 30000', 'sms:+1 got code 4711 from 3630444', 'sms:+2 after']);
    expect(call.ctx.vars.get('MsgId')).toBe('in-1');
  });

  it('runs OnTimeout with empty variables when nothing comes; Sender and Recipient narrow the wait', async () => {
    const call = fakeCall();
    expect(await runScript(script(WAIT.replace('Timeout="30"', 'Timeout="5" Sender="+44700" Recipient="+3612345"')), call.ctx)).toBe('end-of-script');
    expect(call.events).toEqual(['answer', 'inbound-wait:+44700>+3612345 5000', 'sms:+1 nothing []', 'sms:+2 after']);
  });

  it('is also called ReceiveMessage; other children and timeouts out of range are refused when parsed', () => {
    expect(() => script('<ReceiveMessage Timeout="10"/>')).not.toThrow();
    expect(() => script('<WaitForMsg><Speak>x</Speak></WaitForMsg>')).toThrow(/may hold <OnReceived> and <OnTimeout>/);
    expect(() => script('<WaitForMsg Timeout="0"/>')).toThrow(/Timeout/);
    expect(() => script('<WaitForMsg Timeout="7200"/>')).toThrow(/Timeout/);
  });
});
