/**
 * Voximplant ControlSms (Voximplant's Management API reference): `command=enable|disable` switches SMS on
 * or off for `phone_number`, one of the numbers the user owns (users[].numbers).
 * The switch is stored and applies to every dialect: a disabled number
 * neither sends nor receives.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import { canonicalNumber } from '../../sms/router.js';
import { validateRecipient } from '../../sms/validate.js';
import type { VoximplantAnswer, VoximplantCall } from './method.js';
import { invalidArgument, requiredParam } from './params.js';

export async function controlSms(call: VoximplantCall): Promise<VoximplantAnswer> {
  const { params, username, deps } = call;
  const number = requiredParam(params, 'phone_number');
  const numberError = validateRecipient(number);
  if (numberError) throw invalidArgument('phone_number', numberError);
  const command = requiredParam(params, 'command').toLowerCase();
  if (command !== 'enable' && command !== 'disable') throw invalidArgument('command', "must be 'enable' or 'disable'");

  const canonical = canonicalNumber(number);
  if (!deps.users.numbersOf(username).some((own) => canonicalNumber(own) === canonical)) {
    throw new AppError(ErrorCode.NUMBER_NOT_OWNED, `The phone number ${number} is not one of your numbers`, {
      details: { field: 'phone_number', number },
    });
  }
  await deps.numbers.setSmsEnabled(number, command === 'enable', username);
  deps.log.info({ number: canonical, sms: command, by: username }, 'SMS switched for a number');
  return { json: { result: 1 } };
}
