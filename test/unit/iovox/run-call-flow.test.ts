/**
 * The IOVOX flow runner on a stand-in call: rules in document order, seed
 * 001's SMS READ OUT flow with $sms_origin and $content, IOVOX voices passed
 * to TTS, sendSms rules bound per link with variables, a failing rule that
 * does not stop the call, and a hang-up that stops everything at once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addressBookOn, sqliteStore } from '../../support/sqlite-store.js';
import { parseCallFlow } from '../../../src/iovox/flow/parse-call-flow.js';
import { runCallFlow, type FlowCall, type FlowRunDeps } from '../../../src/iovox/flow/run-call-flow.js';
import { speakableNumber, substitute } from '../../../src/iovox/flow/variables.js';
import type { FlowContext } from '../../../src/iovox/flow/flow.js';
import type { AcceptRequest } from '../../../src/sms/outbox.js';
import { AppError, ErrorCode } from '../../../src/shared/errors.js';
import { silentLogger } from '../../../src/shared/log.js';

const store = sqliteStore();
afterAll(() => store.close());
const book = addressBookOn(store);
await book.add({ id: '1', displayName: 'Bob', phoneNumbers: ['447400000000'] });
await book.add({ id: '2', displayName: 'Carol', phoneNumbers: ['447700900123'] });

const ctx: FlowContext = { findContact: (s) => book.resolve(s), partnerName: 'ACME', sendSmsRule: true, emailTemplates: new Set(['default']) };
const SMS_READ_OUT = readFileSync(join(process.cwd(), 'test/fixtures/iovox/sms-read-out.xml'), 'utf8');

/** A call that records what it was asked to do, in order; `hangUpAfterSpeaking` ends it during that many-th prompt. */
function fakeCall(hangUpAfterSpeaking = Infinity) {
  const controller = new AbortController();
  const steps: string[] = [];
  let spoken = 0;
  const call: FlowCall = {
    signal: controller.signal,
    log: silentLogger(),
    answer: async () => {
      steps.push('answer');
    },
    speak: async (text, voice) => {
      if (controller.signal.aborted) throw new AppError(ErrorCode.CALL_ENDED, 'the call has ended');
      steps.push(`speak ${voice?.voice}: ${text}`);
      if (++spoken >= hangUpAfterSpeaking) {
        controller.abort();
        return 'stopped';
      }
      return 'done';
    },
  };
  return { call, steps, hangUp: () => controller.abort() };
}

function fakeOutbox(steps: string[], fail?: (r: AcceptRequest) => Error | null): FlowRunDeps['sms'] & { requests: AcceptRequest[] } {
  const requests: AcceptRequest[] = [];
  return {
    requests,
    accept: async (request) => {
      const error = fail?.(request);
      if (error) throw error;
      requests.push(request);
      steps.push(`sms ${request.recipient}: ${request.text}`);
      return { id: `m${requests.length}` };
    },
  };
}

describe('runCallFlow', () => {
  it("seed 001's SMS READ OUT: three prompts in order with the IOVOX voice, $sms_origin digit by digit, $content as written", async () => {
    const { call, steps } = fakeCall();
    const deps: FlowRunDeps = { sms: fakeOutbox(steps), flows: ctx };
    const result = await runCallFlow(
      call,
      { flow: await parseCallFlow(SMS_READ_OUT, ctx), user: 'u', variables: { sms_origin: '+447923221231', content: 'Hello there, my name is John' } },
      deps,
    );
    expect(steps).toEqual([
      'answer',
      'speak tts_uk_eng_male: You have received an SMS from',
      'speak tts_uk_eng_male: plus 4 4 7 9 2 3 2 2 1 2 3 1',
      'speak tts_uk_eng_male: Hello there, my name is John',
    ]);
    expect(result).toEqual({ outcome: 'completed', rulesRun: ['sms_read_out'], sms: [], errors: [] });
  });

  it('runs play and sendSms rules in document order; ? values bound per link; $content in the bound message', async () => {
    const flow = await parseCallFlow(
      `<callFlow name="mixed">
        <sendSms id="first" label="a" from="$_partnerName" destinationPhoneNumber="447400000000" destinationContactId="1" message="Fixed: $sms_origin" />
        <play id="p" label="p"><textToSpeech textToSpeak="Between" voice="tts_us_eng_female" /></play>
        <sendSms id="second" label="b" from="$_partnerName" destinationPhoneNumber="?" destinationContactName="?" message="?" />
      </callFlow>`,
      ctx,
    );
    const { call, steps } = fakeCall();
    const outbox = fakeOutbox(steps);
    const result = await runCallFlow(
      call,
      {
        flow,
        user: 'flows',
        variables: { sms_origin: 'ACME', content: 'Table ready' },
        bindings: { second: { destinationPhoneNumber: '447700900123', destinationContactName: 'Carol', message: 'Missed SMS: $content' } },
      },
      { sms: outbox, flows: ctx },
    );
    expect(steps).toEqual(['answer', 'sms +447400000000: Fixed: ACME', 'speak tts_us_eng_female: Between', 'sms +447700900123: Missed SMS: Table ready']);
    expect(outbox.requests[0]).toMatchObject({ user: 'flows', dialect: 'iovox', sender: 'ACME', meta: { iovoxRule: 'first' } });
    expect(result.sms).toEqual([
      { ruleId: 'first', messageId: 'm1' },
      { ruleId: 'second', messageId: 'm2' },
    ]);
  });

  it('a sendSms rule that cannot send is reported with its IOVOX string and the flow goes on', async () => {
    const flow = await parseCallFlow(
      `<callFlow name="f">
        <sendSms id="unbound" label="a" from="$_partnerName" destinationContactId="?" message="hi" />
        <sendSms id="quota" label="b" from="$_partnerName" destinationContactId="2" message="hi" />
        <play id="p" label="p"><textToSpeech textToSpeak="Still here" voice="tts_uk_eng_male" /></play>
      </callFlow>`,
      ctx,
    );
    const { call, steps } = fakeCall();
    const outbox = fakeOutbox(steps, () => new AppError(ErrorCode.QUOTA_EXCEEDED, 'daily quota used up'));
    const result = await runCallFlow(call, { flow, user: 'u' }, { sms: outbox, flows: ctx });
    expect(result.outcome).toBe('completed');
    expect(result.errors).toEqual([
      { ruleId: 'unbound', code: ErrorCode.IOVOX_FLOW_INVALID, text: 'Variable Not Bound: destinationContactId' },
      { ruleId: 'quota', code: ErrorCode.QUOTA_EXCEEDED, text: 'daily quota used up' },
    ]);
    expect(steps.at(-1)).toBe('speak tts_uk_eng_male: Still here');
  });

  it('a hang-up during a prompt stops the flow at once: no later prompt, no later sendSms', async () => {
    const flow = await parseCallFlow(
      `<callFlow name="f">
        <play id="p" label="p"><textToSpeech textToSpeak="One" voice="v" /><textToSpeech textToSpeak="Two" voice="v" /></play>
        <sendSms id="s" label="s" from="$_partnerName" destinationContactId="1" message="after" />
      </callFlow>`,
      ctx,
    );
    const { call, steps } = fakeCall(1);
    const result = await runCallFlow(call, { flow, user: 'u' }, { sms: fakeOutbox(steps), flows: ctx });
    expect(result.outcome).toBe('caller-hung-up');
    expect(result.rulesRun).toEqual([]);
    expect(steps).toEqual(['answer', 'speak v: One']);
  });

  it('a TTS failure is not swallowed: the caller heard nothing', async () => {
    const { call } = fakeCall();
    call.speak = async () => {
      throw new AppError(ErrorCode.TTS_FAILED, 'espeak-ng missing');
    };
    await expect(
      runCallFlow(
        call,
        { flow: await parseCallFlow(SMS_READ_OUT, ctx), user: 'u', variables: { sms_origin: 'x', content: 'y' } },
        { sms: fakeOutbox([]), flows: ctx },
      ),
    ).rejects.toMatchObject({
      code: ErrorCode.TTS_FAILED,
    });
  });
});

describe('flow variables', () => {
  it('substitutes known $names inside text, unknown ones as nothing (reported), and leaves $5 alone', () => {
    const unknown: string[] = [];
    expect(substitute('From $sms_origin: $content ($other) costs $5', { sms_origin: 'ACME', content: 'hi' }, (n) => unknown.push(n))).toBe(
      'From ACME: hi () costs $5',
    );
    expect(unknown).toEqual(['other']);
  });

  it('speaks numbers digit by digit and leaves names and text alone', () => {
    expect(speakableNumber('447923221231')).toBe('4 4 7 9 2 3 2 2 1 2 3 1');
    expect(speakableNumber('ACME Ltd.')).toBe('ACME Ltd.');
    expect(speakableNumber('Call 447923221231')).toBe('Call 447923221231');
    expect(speakableNumber('1234')).toBe('1234');
  });
});
