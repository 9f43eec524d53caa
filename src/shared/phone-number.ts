/**
 * Phone-number checks shared by the dialects, the address book and IOVOX call
 * flows. Each returns a reason or a boolean; callers word their own errors.
 */

/** A phone number as people write it: optional '+', digits and the usual separators; 3–20 digits. */
export function phoneNumberProblem(value: string): string | null {
  if (!/^\+?[0-9 ()\-.]+$/.test(value)) return 'must be a phone number (digits, optional leading +)';
  const digits = value.replace(/\D/g, '').length;
  if (digits < 3 || digits > 20) return 'must have between 3 and 20 digits';
  return null;
}

/**
 * An internationalised number as IOVOX writes it: E.164 (ITU-T E.164 §6: at
 * most 15 digits, country code first, so never a leading 0) without the '+'
 * or '00' prefix, e.g. 447923221231.
 */
export function isInternationalDigits(value: string): boolean {
  return /^[1-9][0-9]{6,14}$/.test(value);
}
