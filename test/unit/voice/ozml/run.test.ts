/** The OzML interpreter (src/voice/ozml/run.ts) on a fake call: order, answering, preparing, stopping, failing verbs. */
import { describe, expect, it } from 'vitest';
import { parseOzml } from '../../../../src/voice/ozml/parse.js';
import { runScript } from '../../../../src/voice/ozml/run.js';
import { fakeCall } from '../../../support/fake-call.js';

const script = (body: string) => parseOzml(`<Response>${body}</Response>`);

describe('OzML interpreter', () => {
  it('runs commands in order; an SMS goes while the call still rings, the first media verb answers it', async () => {
    const call = fakeCall();
    const end = await runScript(script('<SendSms Recipient="+1">early</SendSms><Speak>Hello</Speak><Speak>Bye</Speak>'), call.ctx);
    expect(end).toBe('end-of-script');
    expect(call.events).toEqual(['sms:+1 early', 'prepare-speech:Hello', 'answer', 'speak:Hello', 'speak:Bye']);
  });

  it('prepares only the verb that answers the call (a Play here), not the prompts after it', async () => {
    const call = fakeCall();
    await runScript(script('<Play>welcome.wav</Play><Speak>second</Speak>'), call.ctx);
    expect(call.events).toEqual(['prepare-prompt:welcome.wav', 'answer', 'play:welcome.wav', 'speak:second']);
  });

  it('stops at Hangup: nothing after it runs', async () => {
    const call = fakeCall();
    expect(await runScript(script('<Speak>one</Speak><Hangup/><Speak>never</Speak>'), call.ctx)).toBe('hangup');
    expect(call.events).not.toContain('speak:never');
  });

  it('a verb that fails at run time is logged and the script goes on', async () => {
    const call = fakeCall();
    call.failSpeech.add('broken');
    expect(await runScript(script('<Speak>broken</Speak><Speak>after</Speak>'), call.ctx)).toBe('end-of-script');
    expect(call.events.filter((e) => e.startsWith('speak:'))).toEqual(['speak:after']);
  });

  it('a call that cannot be answered ends the script before its media verb', async () => {
    const call = fakeCall();
    call.failAnswer = true;
    expect(await runScript(script('<Speak>unheard</Speak><SendSms Recipient="+1">not sent</SendSms>'), call.ctx)).toBe('ended');
    expect(call.events).toEqual(['prepare-speech:unheard']);
  });

  it('when the caller hangs up, no further command starts', async () => {
    const call = fakeCall();
    const original = call.ctx.session.speak.bind(call.ctx.session);
    call.ctx.session.speak = async (text, ...rest) => {
      if (text === 'last words') call.hangUp();
      return original(text, ...rest);
    };
    expect(await runScript(script('<Speak>last words</Speak><SendSms Recipient="+1">too late</SendSms>'), call.ctx)).toBe('ended');
    expect(call.events).not.toContain('sms:+1 too late');
  });

  it("a GoTo's reply replaces the rest of the script", async () => {
    const call = fakeCall();
    call.replies.set('GoTo', script('<SendSms Recipient="+2">from the reply</SendSms>'));
    expect(await runScript(script('<GoTo>http://127.0.0.1:1/next</GoTo><SendSms Recipient="+1">dropped</SendSms>'), call.ctx)).toBe('end-of-script');
    expect(call.events).toEqual(['ask:GoTo', 'sms:+2 from the reply']);
  });

  it('a GoTo that answers nothing lets the current script go on', async () => {
    const call = fakeCall();
    await runScript(script('<GoTo>http://127.0.0.1:1/next</GoTo><SendSms Recipient="+1">goes on</SendSms>'), call.ctx);
    expect(call.events).toEqual(['ask:GoTo', 'sms:+1 goes on']);
  });

  it("SendMessage is SendSms in the SMS gateway's words (Originator, MessageData)", async () => {
    const call = fakeCall();
    await runScript(script('<SendMessage Originator="ACME" Recipient="+36201234567" MessageData="gateway words"/>'), call.ctx);
    expect(call.events).toEqual(['sms:+36201234567 gateway words']);
  });

  it('SendEmail sends with variables substituted and the call goes on; it does not answer the call', async () => {
    const call = fakeCall();
    await runScript(
      script('<Var ID="who">+3630111</Var><SendEmail Recipient="desk@example.test" Subject="Missed call">Call back $who</SendEmail><Speak>Bye</Speak>'),
      call.ctx,
    );
    expect(call.events).toEqual(['email:desk@example.test Missed call: Call back +3630111', 'prepare-speech:Bye', 'answer', 'speak:Bye']);
  });

  it('SendSms WaitForReport runs the block of the outcome with $SmsStatus, then goes on after the SendSms', async () => {
    const body =
      '<Speak>wait</Speak><SendSms Recipient="+1" Message="receipt" WaitForReport="5"><OnDelivered><Speak>ok $SmsStatus</Speak></OnDelivered>' +
      '<OnFailed><Speak>no $SmsStatus</Speak></OnFailed><OnTimeout><Speak>later</Speak></OnTimeout></SendSms><Speak>bye</Speak>';
    for (const [outcome, heard] of [
      ['delivered', 'speak:ok delivered'],
      ['expired', 'speak:no expired'],
      ['timeout', 'speak:later'],
    ] as const) {
      const call = fakeCall();
      call.smsOutcome = outcome;
      await runScript(script(body), call.ctx);
      expect(call.events.filter((e) => e.startsWith('speak:') || e === 'sms-wait')).toEqual(['speak:wait', 'sms-wait', heard, 'speak:bye']);
    }
  });
});
