/**
 * Running a sendSms rule, for the call runtime: bind the rule's `?` values
 * for this link, check them as IOVOX's sendSms rule reference checks fixed ones, pick the contact,
 * and hand the SMS to the one outbox as an IOVOX message (so its receipts go
 * to callbackUrl in IOVOX's JSON, and its e-mail alert follows smsAlert).
 */
import type { Contact } from '../../contacts/contact.js';
import type { AcceptRequest } from '../../sms/outbox.js';
import { iovoxMetaToStore, type SmsAlertRequest } from '../message-meta.js';
import { isInternationalDigits } from '../../shared/phone-number.js';
import { IovoxFlowError } from './flow-error.js';
import { SmsAlertMode, type FlowContext, type FlowValue, type IovoxCallFlow, type SendSmsRule, type SmsAlertSettings } from './flow.js';
import { checkContactSelection, checkPartnerName } from './rules/send-sms.js';

/** Values for a rule's `?` attributes on one link, by attribute name. */
export type RuleBindings = Readonly<Record<string, string>>;

/**
 * The first rule id in `bindings` that is not a sendSms rule of `flow`, or
 * null. Checked at start-up: a typo would otherwise surface as "Variable Not
 * Bound" on the first call that needs the rule, at night.
 */
export function unknownBindingRule(flow: IovoxCallFlow, bindings: Readonly<Record<string, RuleBindings>>): string | null {
  const sendSmsRules = new Set(flow.rules.filter((r) => r.kind === 'sendSms').map((r) => r.id));
  return Object.keys(bindings).find((ruleId) => !sendSmsRules.has(ruleId)) ?? null;
}

export interface SendSmsRuleContext extends Pick<FlowContext, 'findContact' | 'partnerName'> {
  /** The API user the flow belongs to (history, quotas). */
  user: string;
}

function bind(
  rule: SendSmsRule,
  name: 'destinationPhoneNumber' | 'destinationContactId' | 'destinationContactName' | 'message',
  bindings: RuleBindings,
): FlowValue {
  const value = rule[name];
  if (value?.kind !== 'variable') return value;
  const bound = bindings[name];
  if (bound === undefined || bound.trim() === '') throw new IovoxFlowError(`Variable Not Bound: ${name}`, rule.position, rule.id);
  return { kind: 'fixed', value: bound };
}

const fixed = (v: FlowValue): string | null => (v?.kind === 'fixed' ? v.value.trim() : null);

/** The outbox request a sendSms rule makes on a link, or the IOVOX error that stops it. */
export async function sendSmsRequest(
  rule: SendSmsRule,
  bindings: RuleBindings,
  ctx: SendSmsRuleContext,
): Promise<{ request: AcceptRequest; contact: Contact }> {
  const selection = {
    destinationPhoneNumber: bind(rule, 'destinationPhoneNumber', bindings),
    destinationContactId: bind(rule, 'destinationContactId', bindings),
    destinationContactName: bind(rule, 'destinationContactName', bindings),
  };
  await checkContactSelection(selection, ctx, rule.position, rule.id);
  checkPartnerName(ctx.partnerName, rule.position, rule.id);
  const message = fixed(bind(rule, 'message', bindings));
  if (!message) throw new IovoxFlowError('Message Empty', rule.position, rule.id);

  const phoneNumber = fixed(selection.destinationPhoneNumber);
  const contact = (await ctx.findContact({ id: fixed(selection.destinationContactId), name: fixed(selection.destinationContactName), phoneNumber }))!;
  // No number in the rule: the contact's first one.
  const recipient = phoneNumber ?? contact.phoneNumbers[0];
  if (!recipient) throw new IovoxFlowError('Phone Number Invalid', rule.position, rule.id);

  const alert = smsAlertFor(rule.smsAlert, contact);
  const meta = iovoxMetaToStore({ iovoxRule: rule.id, callbackHeaders: rule.callbackUrlHeaders, ...(alert ? { smsAlert: alert } : {}) });
  return {
    contact,
    request: {
      user: ctx.user,
      dialect: 'iovox',
      sender: isInternationalDigits(ctx.partnerName) ? `+${ctx.partnerName}` : ctx.partnerName,
      recipient: isInternationalDigits(recipient) ? `+${recipient}` : recipient,
      text: message,
      callbackUrl: rule.callbackUrl,
      meta,
    },
  };
}

/** Who gets the SMS e-mail alert: the contact's PRIMARY/SECONDARY/BOTH addresses, the FIRST of each kind or ALL. */
export function smsAlertFor(settings: SmsAlertSettings, contact: Contact): SmsAlertRequest | null {
  if (settings.mode === SmsAlertMode.None) return null;
  const pick = (list: string[]) => (settings.destinationBehaviour === 'FIRST' ? list.slice(0, 1) : list);
  const recipients = [
    ...(settings.destinationType !== 'SECONDARY' ? pick(contact.primaryEmails) : []),
    ...(settings.destinationType !== 'PRIMARY' ? pick(contact.secondaryEmails) : []),
  ];
  return {
    when: settings.mode === SmsAlertMode.AllSms ? 'all' : 'failed',
    recipients,
    template: settings.emailTemplateName,
    from: settings.from,
    fromName: settings.fromName,
    contactName: contact.displayName,
  };
}
