/**
 * The address book's contact: an id, a display name (not unique: IOVOX lets
 * several contacts share one), phone numbers, and primary and secondary
 * e-mail addresses (several of each: smsAlertDestinationBehaviour FIRST/ALL
 * picks among them). Input is validated here, once, for the JSON API, the
 * CLI and tests alike.
 */
import { z } from 'zod';
import { AppError, ErrorCode } from '../shared/errors.js';
import { phoneNumberProblem } from '../shared/phone-number.js';
import { emailAddressSchema } from '../email/address.js';

export interface Contact {
  id: string;
  displayName: string;
  phoneNumbers: string[];
  primaryEmails: string[];
  secondaryEmails: string[];
  createdAt: number;
  updatedAt: number;
}

const phoneNumber = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    const problem = phoneNumberProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const contactInputSchema = z
  .object({
    /** Optional on create: IOVOX flows refer to contacts by id, so migrated ids can be kept. */
    id: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only')
      .optional(),
    displayName: z.string().trim().min(1).max(200),
    phoneNumbers: z.array(phoneNumber).default([]),
    primaryEmails: z.array(emailAddressSchema).default([]),
    secondaryEmails: z.array(emailAddressSchema).default([]),
  })
  .strict();

export type ContactInput = z.output<typeof contactInputSchema>;

/** Validate untrusted input; the error names every wrong field. */
export function parseContactInput(raw: unknown): ContactInput {
  const result = contactInputSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  throw new AppError(ErrorCode.CONTACT_INVALID, `invalid contact: ${problems.join('; ')}`, { details: { problems } });
}

/**
 * The digits that identify a number whatever its spelling: '+44 7400 000000',
 * '0044 7400-000000' and '447400000000' are one number.
 */
export function phoneKey(value: string): string {
  const digits = value.replace(/\D/g, '');
  return value.trim().startsWith('+') ? digits : digits.replace(/^00/, '');
}

export function hasPhoneNumber(contact: Contact, number: string): boolean {
  const key = phoneKey(number);
  return key.length > 0 && contact.phoneNumbers.some((n) => phoneKey(n) === key);
}
