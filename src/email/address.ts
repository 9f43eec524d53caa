import { z } from 'zod';

/**
 * An e-mail address as mail servers take it: local@domain, no spaces. Looser
 * than zod's z.email() on purpose: on premises, `alerts@localhost` and
 * intranet domains without a dot are real.
 */
export const EMAIL_ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/;

export const emailAddressSchema = z.string().trim().regex(EMAIL_ADDRESS, 'not an e-mail address');
