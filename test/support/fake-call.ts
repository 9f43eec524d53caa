/**
 * A call for the OzML interpreter without SIP or RTP: it records what the
 * script did to it, in order ('answer', 'speak:Hello', 'prepare-speech:Hello',
 * 'sms:+1 hi'), and lets a test hang up, refuse the answer, or make a verb's
 * media fail. For unit tests of src/voice/ozml/run.ts and the verbs.
 */
import type { CallSession } from '../../src/voice/call-session.js';
import type { OzmlScript, RunContext } from '../../src/voice/ozml/script.js';
import type { ScriptServices, ScriptSmsOutcome } from '../../src/voice/ozml/services.js';
import { rootContext } from '../../src/voice/ozml/run.js';
import { Scope } from '../../src/voice/ozml/substitute.js';
import { silentLogger } from '../../src/shared/log.js';
import { DiskFloor } from '../../src/voice/ozml/disk-floor.js';
import { AppError, ErrorCode } from '../../src/shared/errors.js';

export interface FakeCall {
  ctx: RunContext;
  /** What happened, in order. */
  events: string[];
  /** The caller hangs up: the call's signal aborts. */
  hangUp(): void;
  /** The next answer fails (the caller cancelled before our 200 OK). */
  failAnswer: boolean;
  /** Speaking this text fails (TTS down). */
  failSpeech: Set<string>;
  /** What `ask` (GoTo, DtmfEntered …) answers, by notification name. */
  replies: Map<string, OzmlScript | null>;
  /** How a SendSms WaitForReport ends. */
  smsOutcome: ScriptSmsOutcome;
  /** What WaitForMsg receives (null: it times out). */
  inboundSms: { id: string; sender: string; recipient: string; text: string } | null;
  /** A recording's file cannot be written (a full disk): stopping it fails as the media worker's does. */
  failRecording: boolean;
}

export function fakeCall(): FakeCall {
  const controller = new AbortController();
  const events: string[] = [];
  let state: CallSession['state'] = 'new';
  const call: FakeCall = {
    ctx: undefined as unknown as RunContext,
    events,
    hangUp: () => controller.abort(),
    failAnswer: false,
    failSpeech: new Set(),
    replies: new Map(),
    smsOutcome: 'delivered',
    inboundSms: null,
    failRecording: false,
  };
  const session = {
    get state() {
      return state;
    },
    info: { id: 'call-1', from: { user: '+3612345678' }, to: { user: '1000' }, direction: 'inbound' },
    signal: controller.signal,
    async speak(text: string) {
      if (call.failSpeech.has(text)) throw new Error(`TTS failed for ${text}`);
      events.push(`speak:${text}`);
      return 'played';
    },
    async play(location: string) {
      events.push(`play:${location}`);
      return 'played';
    },
    async prepareSpeech(text: string) {
      events.push(`prepare-speech:${text}`);
    },
    async preparePrompt(location: string) {
      events.push(`prepare-prompt:${location}`);
    },
    digits: { clear: () => undefined, onDigit: () => () => undefined },
    startRecording(path: string) {
      events.push(`record:${path.split('/').at(-1)}`);
    },
    async stopRecording() {
      if (call.failRecording) throw new AppError(ErrorCode.RECORDING_FAILED, 'the recording could not be written');
      events.push('record-stop');
      return { samples: 8000, file: false };
    },
  } as unknown as CallSession;
  const services = {
    sms: {
      async send(request: { recipient: string; text: string }) {
        events.push(`sms:${request.recipient} ${request.text}`);
        return { smsId: `sms-${events.length}` };
      },
      async waitForOutcome() {
        events.push('sms-wait');
        return call.smsOutcome;
      },
      async waitForInbound(filter: { senders: string[]; recipient: string | null }, timeoutMs: number) {
        events.push(`inbound-wait:${filter.senders.join(',')}>${filter.recipient ?? '*'} ${timeoutMs}`);
        return call.inboundSms;
      },
    },
    email: {
      async send(order: { recipients: string; subject: string; text: string }) {
        events.push(`email:${order.recipients} ${order.subject}: ${order.text}`);
        return events.length;
      },
    },
    app: { post: async () => '' },
    events: { notify: () => Promise.resolve(true) },
    recordings: { dir: '/nonexistent', publicUrl: null, floor: new DiskFloor('/nonexistent', 0) },
    appTimeoutMs: 1000,
    apiExtension: 'telenode',
    callChangedUrl: null,
  } as unknown as ScriptServices;
  call.ctx = rootContext({
    session,
    signal: controller.signal,
    vars: new Scope(),
    services,
    log: silentLogger(),
    async ensureAnswered() {
      if (call.failAnswer) throw new Error('the caller cancelled');
      events.push('answer');
      state = 'answered';
    },
    callFields: () => ({ CallId: 'call-1' }),
    async ask(_url: string, notification: string) {
      events.push(`ask:${notification}`);
      return call.replies.get(notification) ?? null;
    },
    changed: () => undefined,
  });
  return call;
}
