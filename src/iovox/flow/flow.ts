/**
 * IOVOX call flows as typed data: `<callFlow>` documents parsed and checked
 * by parse-call-flow.ts. Nothing here runs a call: the call runtime executes
 * these rules (and asks send-sms-rule.ts to send the SMS of a sendSms rule).
 */
import type { Contact } from '../../contacts/contact.js';

/** An attribute a flow fixes, leaves as `?` (bound per link), or leaves out. */
export type FlowValue = { kind: 'fixed'; value: string } | { kind: 'variable' } | null;

export interface TextToSpeech {
  /** Text, or `$name` of a call variable (`$sms_origin`, `$content` in SMS-to-voice failover). */
  textToSpeak: string;
  /** IOVOX voice name such as tts_uk_eng_male; the call runtime maps it to a TTS voice. */
  voice: string;
}

export interface PlayRule {
  kind: 'play';
  id: string;
  label: string;
  items: TextToSpeech[];
  position: FlowPosition;
}

export const SmsAlertMode = { None: 'NONE', FailedSms: 'FAILED_SMS', AllSms: 'ALL_SMS' } as const;
export type SmsAlertMode = (typeof SmsAlertMode)[keyof typeof SmsAlertMode];
export type SmsAlertDestinationType = 'PRIMARY' | 'SECONDARY' | 'BOTH';
export type SmsAlertDestinationBehaviour = 'FIRST' | 'ALL';

export interface SmsAlertSettings {
  mode: SmsAlertMode;
  destinationType: SmsAlertDestinationType;
  destinationBehaviour: SmsAlertDestinationBehaviour;
  /** null: the built-in 'default' template. */
  emailTemplateName: string | null;
  from: string | null;
  fromName: string | null;
}

export interface SendSmsRule {
  kind: 'sendSms';
  id: string;
  label: string;
  /** Always `$_partnerName` (IOVOX's sendSms rule reference: "We only allow to set this attribute as $_partnerName"). */
  from: '$_partnerName';
  destinationPhoneNumber: FlowValue;
  destinationContactId: FlowValue;
  destinationContactName: FlowValue;
  message: FlowValue;
  callbackUrl: string | null;
  callbackUrlHeaders: Record<string, string>;
  smsAlert: SmsAlertSettings;
  position: FlowPosition;
}

export type FlowRule = PlayRule | SendSmsRule;

export interface IovoxCallFlow {
  name: string;
  rules: FlowRule[];
}

export interface FlowPosition {
  line: number;
  column: number;
}

/** What checking a flow needs to know about this node. */
export interface FlowContext {
  /** The contact a sendSms rule selects (address-book.ts `resolve`, which reads the store). */
  findContact(selector: { id?: string | null; name?: string | null; phoneNumber?: string | null }): Promise<Contact | undefined> | Contact | undefined;
  /** What $_partnerName sends as. */
  partnerName: string;
  /** false: the sendSms rule is switched off on this node. */
  sendSmsRule: boolean;
  /** E-mail template names known to the alert mailer. */
  emailTemplates: ReadonlySet<string>;
}
