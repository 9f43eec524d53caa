/**
 * `<sendSms>` (IOVOX's sendSms rule reference), checked when the flow is loaded, in the order of
 * the reference's error table. Attributes left as `?` are bound per link and
 * checked again when the rule runs (send-sms-rule.ts); fixed ones are
 * checked here, including that the contact exists and owns the number.
 */
import { httpUrlProblem } from '../../../shared/http-url.js';
import { isInternationalDigits } from '../../../shared/phone-number.js';
import { parseCallbackHeaders } from '../../callback-headers.js';
import { EMAIL_ADDRESS } from '../../../email/address.js';
import { IovoxFlowError } from '../flow-error.js';
import { attribute, type FlowElement } from '../flow-xml.js';
import {
  SmsAlertMode,
  type FlowContext,
  type FlowPosition,
  type FlowValue,
  type SendSmsRule,
  type SmsAlertDestinationBehaviour,
  type SmsAlertDestinationType,
  type SmsAlertSettings,
} from '../flow.js';
import { ruleIdentity } from './rule-identity.js';

export const PARTNER_NAME = '$_partnerName';
/** The placeholder of a value bound per link. */
export const VARIABLE = '?';

function flowValue(element: FlowElement, name: string): FlowValue {
  const value = attribute(element, name);
  if (value === null) return null;
  return value.trim() === VARIABLE ? { kind: 'variable' } : { kind: 'fixed', value };
}

export async function parseSendSms(element: FlowElement, ctx: FlowContext): Promise<SendSmsRule> {
  if (!ctx.sendSmsRule) throw new IovoxFlowError("You don't have access to this feature: sendSms", element.position, attribute(element, 'id'), 403);
  const { id, label } = ruleIdentity(element);
  const fail = (text: string): never => {
    throw new IovoxFlowError(text, element.position, id);
  };

  const message = flowValue(element, 'message');
  if (message === null) fail('Message Empty');

  const from = attribute(element, 'from');
  if (from === null) fail('Sender Empty');
  if (from !== PARTNER_NAME) fail('Sender Invalid');

  const selection = {
    destinationPhoneNumber: flowValue(element, 'destinationPhoneNumber'),
    destinationContactId: flowValue(element, 'destinationContactId'),
    destinationContactName: flowValue(element, 'destinationContactName'),
  };
  await checkContactSelection(selection, ctx, element.position, id);
  checkPartnerName(ctx.partnerName, element.position, id);

  const callbackUrl = attribute(element, 'callbackUrl');
  if (callbackUrl !== null && httpUrlProblem(callbackUrl)) fail(`Callback URL Invalid: ${callbackUrl}`);
  const headersText = attribute(element, 'callbackUrlHeaders');
  const callbackUrlHeaders = headersText === null ? {} : parseCallbackHeaders(headersText);
  if (callbackUrlHeaders === null) fail(`Callback URL Headers Invalid: ${headersText}`);

  return {
    kind: 'sendSms',
    id,
    label,
    from: PARTNER_NAME,
    ...selection,
    message,
    callbackUrl,
    callbackUrlHeaders: callbackUrlHeaders!,
    smsAlert: parseSmsAlert(element, ctx, id),
    position: element.position,
  };
}

/** $_partnerName must be a sender an SMS can carry: a name, or a number written internationally. */
export function checkPartnerName(partnerName: string, position: FlowPosition | null, ruleId: string | null): void {
  const looksLikeNumber = /^[+0-9 ()\-.]+$/.test(partnerName) && /[0-9]/.test(partnerName);
  if (looksLikeNumber && !isInternationalDigits(partnerName)) throw new IovoxFlowError('Sender is not internationalised', position, ruleId);
}

/**
 * The contact attributes: a contact must be chosen by id or name (a phone
 * number alone is not enough), they are all `?` or all fixed, and fixed ones
 * must name a contact that owns the number.
 */
export async function checkContactSelection(
  selection: Pick<SendSmsRule, 'destinationPhoneNumber' | 'destinationContactId' | 'destinationContactName'>,
  ctx: Pick<FlowContext, 'findContact'>,
  position: FlowPosition | null,
  ruleId: string | null,
): Promise<void> {
  const fail = (text: string): never => {
    throw new IovoxFlowError(text, position, ruleId);
  };
  const { destinationPhoneNumber: phone, destinationContactId: id, destinationContactName: name } = selection;
  if (id === null && name === null) fail('You need to select a Contact');
  const present = [phone, id, name].filter((v): v is NonNullable<FlowValue> => v !== null);
  const variables = present.filter((v) => v.kind === 'variable').length;
  if (variables > 0 && variables < present.length) fail('Contact cannot have Variable and Fix details at the same time');
  if (variables > 0) return;
  const fixed = (v: FlowValue) => (v?.kind === 'fixed' ? v.value.trim() : null);
  const phoneNumber = fixed(phone);
  if (phoneNumber !== null && !isInternationalDigits(phoneNumber)) fail('Phone Number Invalid');
  if (!(await ctx.findContact({ id: fixed(id), name: fixed(name), phoneNumber }))) fail('Destination Contact does not exist');
}

const MODES = new Set<string>(Object.values(SmsAlertMode));
const TYPES = new Set<string>(['PRIMARY', 'SECONDARY', 'BOTH']);
const BEHAVIOURS = new Set<string>(['FIRST', 'ALL']);

/**
 * The SMS e-mail alert attributes. Real IOVOX flows name the mode
 * `sendSmsAlert`; `smsAlert` and `smsAlertMode` (what we read before, see
 * docs/decisions/0061-iovox-dialect.md) stay as aliases. An unknown mode is
 * refused with the flow's error, never taken as "no alert".
 */
function parseSmsAlert(element: FlowElement, ctx: FlowContext, ruleId: string): SmsAlertSettings {
  const fail = (text: string): never => {
    throw new IovoxFlowError(text, element.position, ruleId);
  };
  const mode = (attribute(element, 'sendSmsAlert') ?? attribute(element, 'smsAlert') ?? attribute(element, 'smsAlertMode') ?? SmsAlertMode.None).toUpperCase();
  if (!MODES.has(mode)) fail(`SMS Alert Invalid: ${mode}`);
  const destinationType = (attribute(element, 'smsAlertDestinationType') ?? 'PRIMARY').toUpperCase();
  if (!TYPES.has(destinationType)) fail(`SMS Alert Destination Type Invalid: ${destinationType}`);
  const destinationBehaviour = (attribute(element, 'smsAlertDestinationBehaviour') ?? 'FIRST').toUpperCase();
  if (!BEHAVIOURS.has(destinationBehaviour)) fail(`SMS Alert Destination Behaviour Invalid: ${destinationBehaviour}`);
  const emailTemplateName = attribute(element, 'smsAlertEmailTemplateName');
  if (emailTemplateName !== null && !ctx.emailTemplates.has(emailTemplateName)) fail(`SMS Alert Email Template Invalid: ${emailTemplateName}`);
  const from = attribute(element, 'smsAlertFrom');
  if (from !== null && !EMAIL_ADDRESS.test(from)) fail(`SMS Alert From Invalid: ${from}`);
  return {
    mode: mode as SmsAlertMode,
    destinationType: destinationType as SmsAlertDestinationType,
    destinationBehaviour: destinationBehaviour as SmsAlertDestinationBehaviour,
    emailTemplateName,
    from,
    fromName: attribute(element, 'smsAlertFromName'),
  };
}
