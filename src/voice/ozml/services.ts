/**
 * What a running script needs from outside the call, as small interfaces
 * the daemon fills in (voice/ never imports api/ or the outbox itself):
 * sending an SMS through the node's outbox, asking the app for OzML, and
 * reporting call state changes through the durable callback outbox.
 */
import type { DiskFloor } from './disk-floor.js';

export interface ScriptSmsRequest {
  recipient: string;
  sender: string | null;
  text: string;
  /** DeliveryReportURL: SMSDeliveryReport goes there, exactly as for the HTTP SendSms. */
  callbackUrl: string | null;
  /** The call that sent it, kept with the message. */
  callId: string;
}

/** How a script's SMS ended, as far as a call can wait for it. */
export type ScriptSmsOutcome = 'delivered' | 'failed' | 'expired' | 'unknown' | 'timeout';

export interface ScriptSms {
  /** Accepts the SMS durably (as the HTTP API's SendSms) and returns its SmsId. */
  send(request: ScriptSmsRequest): Promise<{ smsId: string }>;
  /** Resolves with the SMS's final status, or 'timeout' after `timeoutMs` or when `signal` aborts (the caller hung up). */
  waitForOutcome(smsId: string, timeoutMs: number, signal: AbortSignal): Promise<ScriptSmsOutcome>;
  /**
   * The first SMS received at or after `since` from one of `senders` (and to `recipient`, when given; numbers
   * match with or without + / 00), or null after `timeoutMs` or when `signal` aborts. Read from the store, so
   * an SMS that reached another node of a cluster counts.
   */
  waitForInbound(
    filter: { senders: string[]; recipient: string | null; since: number },
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<ScriptInboundSms | null>;
}

/** An SMS a script waited for (WaitForMsg). */
export interface ScriptInboundSms {
  id: string;
  sender: string;
  recipient: string;
  text: string;
}

/** E-mail a script sends (SendEmail): stored, then sent and retried through email.smtp. */
export interface ScriptEmail {
  send(order: { recipients: string; sender: string | null; subject: string; text: string; kind: string }): Promise<number>;
}

/** Ozeki 10's Request: the call to place, and what it runs once answered. */
export interface ExtensionCallRequest {
  dialed: string;
  extension: string | null;
  callerId: string | null;
  callerDisplayName: string | null;
  ringSeconds: number | null;
  /** OzML to run on the call once answered (the command's RequestOzML); refused OZML_INVALID before dialling. */
  ozml: string | null;
}

/** Outbound calls a script places (the Call and CallSetup verbs): the same dialling as Ozeki's commands of those names. */
export interface ScriptDialer {
  /** Resolves with the CallId once answered; rejects when the call cannot be connected (ErrorUrl is told). */
  place(request: {
    dialed: string;
    callerId: string | null;
    callerDisplayName: string | null;
    url: string | null;
    errorUrl: string | null;
    ringSeconds: number | null;
  }): Promise<{ callId: string }>;
  /** Ozeki 10's Request: a call for an API extension whose script runs once answered (OzmlCallApi.request). */
  request(request: ExtensionCallRequest): Promise<{ callId: string }>;
  /** Ozeki's AttendedTransfer between two calls of this node (OzmlCallApi.attendedTransfer). */
  attendedTransfer(transferredCallId: string, targetCallId: string): Promise<void>;
  /** Ozeki 10's CallSetup: call `caller`, then transfer them to `callee` once answered (OzmlCallApi.callSetup). */
  setUp(request: { caller: string; callee: string; callerId: string | null; errorUrl: string | null; ringSeconds: number | null }): Promise<{ callId: string }>;
}

export interface AppRequest {
  url: string;
  /** Form fields; NotificationName first. */
  fields: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface AppClient {
  /** POST the notification form and return the body (OzML, possibly empty). Throws OZML_APP_FAILED. */
  post(request: AppRequest): Promise<string>;
}

export interface CallEvents {
  /**
   * A fire-and-forget notification (CallChanged, call errors): stored and retried, its reply ignored. Resolves true
   * once it is stored, false when it could not be (logged); a caller that keeps a promise until then waits for it.
   */
  notify(url: string, fields: Record<string, string>, orderKey: string): Promise<boolean>;
}

export interface RecordingStore {
  /** Where recordings are written. */
  dir: string;
  /** Base URL the app fetches them from; null → RecordURL is the file path. */
  publicUrl: string | null;
  /** No recording starts, and every running one stops, while the folder's disk has less free than its floor. */
  floor: DiskFloor;
}

export interface ScriptServices {
  sms: ScriptSms;
  /** null without email.smtp: SendEmail is logged and skipped. */
  email: ScriptEmail | null;
  /** Set once the call service exists (ozml-voice.ts); null before, and for a bare voice node. */
  dialer: ScriptDialer | null;
  app: AppClient;
  events: CallEvents;
  recordings: RecordingStore;
  /** Timeout for notifications whose reply is OzML (DtmfEntered, GoTo, RecordCompleted, CallConnected). */
  appTimeoutMs: number;
  /** The API extension name reported in notifications. */
  apiExtension: string;
  /** CallChanged goes here when set. */
  callChangedUrl: string | null;
}
