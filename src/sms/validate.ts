/**
 * Checks on what a message is sent from, to and reports to, shared by every
 * dialect and by call scripts. Each returns a reason string when the value is
 * wrong, or null; the dialect turns it into its own error.
 */
import { phoneNumberProblem } from '../shared/phone-number.js';
import { httpUrlProblem } from '../shared/http-url.js';

/** A phone number: optional '+', digits, and the usual separators; 3–20 digits. */
export function validateRecipient(value: string): string | null {
  return phoneNumberProblem(value);
}

/** A phone number, or an alphanumeric sender id of at most 11 GSM characters (3GPP TS 23.040 §9.1.2.5). */
export function validateSender(value: string): string | null {
  if (/^\+?[0-9 ()\-.]+$/.test(value)) return validateRecipient(value);
  if (value.length > 11) return 'an alphanumeric sender is at most 11 characters';
  if (!/^[A-Za-z0-9 .\-_&]+$/.test(value)) return 'an alphanumeric sender may hold letters, digits, space and . - _ &';
  return null;
}

export function validateCallbackUrl(value: string): string | null {
  return httpUrlProblem(value);
}
