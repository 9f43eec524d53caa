import { z } from 'zod';
import { emailAddressSchema } from './address.js';

export const emailTemplateSchema = z
  .object({
    /** {{placeholders}}: see docs/iovox.md "SMS e-mail alerts". */
    subject: z.string().min(1),
    text: z.string().min(1),
    html: z.string().min(1).optional(),
  })
  .strict();

export const emailConfigSchema = z
  .object({
    /** The SMTP server alerts go through; null: e-mail alerts are off (and logged as skipped). */
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        /** true: TLS from the first byte (port 465); false: STARTTLS when the server offers it. */
        secure: z.boolean().default(false),
        auth: z
          .object({ user: z.string().min(1), pass: z.string().min(1) })
          .strict()
          .optional(),
        /** false only for a lab server with a self-signed certificate. */
        rejectUnauthorized: z.boolean().default(true),
        timeoutMs: z.number().int().min(100).default(30_000),
      })
      .strict()
      .nullable()
      .default(null),
    /** Sender when a rule gives no smsAlertFrom / smsAlertFromName. */
    from: emailAddressSchema.default('telenode@localhost'),
    fromName: z.string().default('telenode'),
    /** Templates by name (smsAlertEmailTemplateName); 'default' is built in and may be overridden. */
    templates: z.record(z.string().min(1), emailTemplateSchema).default({}),
    retry: z
      .object({
        initialMs: z.number().int().min(10).default(5000),
        maxMs: z.number().int().min(10).default(600_000),
        /** A mail still not accepted by the SMTP server after this long is given up (kept as 'dead'). */
        maxAgeHours: z.number().positive().default(48),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type EmailConfig = z.infer<typeof emailConfigSchema>;
export type EmailTemplate = z.infer<typeof emailTemplateSchema>;
