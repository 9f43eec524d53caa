/**
 * Call variables in flow text: `$sms_origin` and `$content` in SMS-to-voice
 * failover, written alone (IOVOX's SMS API v3 reference: textToSpeak="$content") or inside text
 * ("Message from $sms_origin"). `$_partnerName` is not a call variable: it is
 * the sendSms sender and never substituted here.
 */

/** Values by name, without the `$`. */
export type FlowVariables = Readonly<Record<string, string>>;

const VARIABLE = /\$([A-Za-z][A-Za-z0-9_]*)/g;

/**
 * Replace each known `$name`; unknown ones become '' (reading out "dollar
 * foo" helps nobody) and are reported through `unknown`.
 */
export function substitute(text: string, variables: FlowVariables, unknown?: (name: string) => void): string {
  return text.replace(VARIABLE, (_match, name: string) => {
    const value = variables[name];
    if (value !== undefined) return value;
    unknown?.(name);
    return '';
  });
}

/**
 * A phone number as a TTS engine should say it: digit by digit. espeak and
 * most engines read "+447923221231" as one big number ("four hundred and
 * forty-seven billion …"), which no listener can write down. Anything that
 * is not a number (a sender name like "ACME") is left as it is.
 */
export function speakableNumber(value: string): string {
  const trimmed = value.trim();
  if (!/^\+?[0-9]{5,}$/.test(trimmed)) return value;
  const digits = trimmed.replace(/^\+/, '').split('').join(' ');
  return trimmed.startsWith('+') ? `plus ${digits}` : digits;
}
