/**
 * Runs an IOVOX `<callFlow>` on a call: rules in document order, then the
 * end of the flow (CallService hangs up when the handler returns). When the
 * caller hangs up, the flow stops at once: the prompt being spoken is cut
 * (CallSession.signal) and no later rule runs, not even a sendSms.
 *
 * A sendSms rule that cannot send (contact gone, `?` not bound, quota) is
 * logged and reported in the result and the flow goes on, as one rule's
 * business error should not silence the rest of the call. A play that cannot
 * be spoken (TTS broken) throws: the caller heard nothing, and whoever placed
 * the call (failover-calls.ts) should try again.
 */
import type { Logger } from '../../shared/log.js';
import { ErrorCode, isAppError } from '../../shared/errors.js';
import type { AcceptRequest } from '../../sms/outbox.js';
import type { CallHandler } from '../../voice/calls.js';
import type { PlayOutcome } from '../../voice/media/rtp-session.js';
import type { VoiceRequest } from '../../voice/media/tts.js';
import type { FlowContext, FlowRule, FlowValue, IovoxCallFlow, PlayRule, SendSmsRule } from './flow.js';
import { IovoxFlowError } from './flow-error.js';
import { sendSmsRequest, type RuleBindings } from './send-sms-rule.js';
import { speakableNumber, substitute, type FlowVariables } from './variables.js';

/** What a flow needs of a call: CallSession has it all. */
export interface FlowCall {
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Inbound: answers; outbound (already answered): does nothing. */
  answer(): Promise<void>;
  speak(text: string, voice?: VoiceRequest): Promise<PlayOutcome>;
}

export interface FlowRunDeps {
  /** The one outbox (sms/outbox.ts `accept`): a sendSms rule's SMS goes there as an IOVOX message. */
  sms: { accept(request: AcceptRequest): Promise<{ id: string }> };
  /** Contacts and what $_partnerName sends as (messaging-extras' `iovoxFlows`). */
  flows: Pick<FlowContext, 'findContact' | 'partnerName'>;
}

export interface FlowRunInput {
  flow: IovoxCallFlow;
  /** The API user the flow's SMS are sent as (history, quotas). */
  user: string;
  /** `$name` values: sms_origin and content in SMS-to-voice failover. */
  variables?: FlowVariables;
  /** `?` values of this link, by rule id then attribute name. */
  bindings?: Readonly<Record<string, RuleBindings>>;
}

export interface FlowRunResult {
  /** completed: every rule ran; caller-hung-up: the call ended first. */
  outcome: 'completed' | 'caller-hung-up';
  /** Ids of the rules that ran, in order (a sendSms that could not send too: see errors). */
  rulesRun: string[];
  /** SMS handed to the outbox by sendSms rules. */
  sms: Array<{ ruleId: string; messageId: string }>;
  /** sendSms rules that could not send, with IOVOX's error string where there is one. */
  errors: Array<{ ruleId: string; code: string; text: string }>;
}

class CallerHungUp extends Error {}

interface RunState {
  call: FlowCall;
  input: FlowRunInput;
  deps: FlowRunDeps;
  result: FlowRunResult;
}

/** One executor per rule kind; the mapped type makes a new kind in flow.ts fail to compile until it runs here. */
const EXECUTORS: { [K in FlowRule['kind']]: (rule: Extract<FlowRule, { kind: K }>, state: RunState) => Promise<void> } = {
  play: runPlay,
  sendSms: runSendSms,
};

export async function runCallFlow(call: FlowCall, input: FlowRunInput, deps: FlowRunDeps): Promise<FlowRunResult> {
  const result: FlowRunResult = { outcome: 'completed', rulesRun: [], sms: [], errors: [] };
  const state: RunState = { call, input, deps, result };
  const log = call.log.child({ callFlow: input.flow.name });
  try {
    throwIfHungUp(call);
    await call.answer();
    for (const rule of input.flow.rules) {
      throwIfHungUp(call);
      await (EXECUTORS[rule.kind] as (rule: FlowRule, state: RunState) => Promise<void>)(rule, state);
      result.rulesRun.push(rule.id);
    }
    throwIfHungUp(call);
  } catch (err) {
    // CallSession throws CALL_ENDED when media is gone: the same hang-up, seen a moment later.
    if (!(err instanceof CallerHungUp) && !(call.signal.aborted && isAppError(err) && err.code === ErrorCode.CALL_ENDED)) throw err;
    result.outcome = 'caller-hung-up';
  }
  log.info({ outcome: result.outcome, rulesRun: result.rulesRun, sms: result.sms.length, errors: result.errors.length }, 'IOVOX call flow finished');
  return result;
}

/** A CallService handler that runs `input.flow` on each call it gets. */
export function callFlowHandler(input: FlowRunInput, deps: FlowRunDeps): CallHandler {
  return async (session) => {
    await runCallFlow(session, input, deps);
  };
}

function throwIfHungUp(call: FlowCall): void {
  if (call.signal.aborted) throw new CallerHungUp();
}

async function runPlay(rule: PlayRule, { call, input }: RunState): Promise<void> {
  const variables = Object.fromEntries(Object.entries(input.variables ?? {}).map(([name, value]) => [name, speakableNumber(value)]));
  for (const item of rule.items) {
    const text = substitute(item.textToSpeak, variables, (name) =>
      call.log.warn({ ruleId: rule.id, variable: name }, 'unknown call variable: spoken as nothing'),
    );
    throwIfHungUp(call);
    // An empty variable ($content of an empty SMS) says nothing rather than failing the TTS command.
    if (text.trim() === '') continue;
    // IOVOX voice names (tts_uk_eng_male) are keys of voice.tts.voices; an unknown one falls back to the default voice.
    const outcome = await call.speak(text, { voice: item.voice });
    if (outcome === 'stopped') throwIfHungUp(call);
  }
}

async function runSendSms(rule: SendSmsRule, { call, input, deps, result }: RunState): Promise<void> {
  const variables = input.variables ?? {};
  const withVariables = (value: FlowValue): FlowValue => (value?.kind === 'fixed' ? { kind: 'fixed', value: substitute(value.value, variables) } : value);
  const bound = input.bindings?.[rule.id] ?? {};
  const bindings = Object.fromEntries(Object.entries(bound).map(([name, value]) => [name, name === 'message' ? substitute(value, variables) : value]));
  try {
    const { request } = await sendSmsRequest({ ...rule, message: withVariables(rule.message) }, bindings, { ...deps.flows, user: input.user });
    const message = await deps.sms.accept(request);
    result.sms.push({ ruleId: rule.id, messageId: message.id });
    call.log.info({ ruleId: rule.id, messageId: message.id, recipient: request.recipient }, 'sendSms rule: SMS accepted');
  } catch (err) {
    const text = err instanceof IovoxFlowError ? err.text : (err as Error).message;
    const code = isAppError(err) ? err.code : ErrorCode.IOVOX_FLOW_INVALID;
    result.errors.push({ ruleId: rule.id, code, text });
    call.log.warn({ err, ruleId: rule.id }, `sendSms rule could not send: ${text}`);
  }
}
