import { z } from 'zod';

export const webhookConfigSchema = z
  .object({
    /** A callback not answered within this time counts as a failed attempt. */
    timeoutMs: z.number().int().min(100).default(10_000),
    /** Retried until this age, then kept as a dead letter. */
    maxAgeHours: z.number().positive().default(72),
    backoff: z
      .object({
        initialMs: z.number().int().min(10).default(1000),
        maxMs: z.number().int().min(10).default(300_000),
        factor: z.number().min(1).default(2),
        jitter: z.number().min(0).max(1).default(0.2),
      })
      .strict()
      .prefault({}),
    /** Requests in flight at once. */
    concurrency: z.number().int().min(1).max(10_000).default(64),
    userAgent: z.string().default('telenode/0.1.0'),
    /** When set: X-Telenode-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">. */
    signingSecret: z.string().min(8).optional(),
    /** While a receiver is down, one of its waiting callbacks is tried this often; its first 2xx releases the rest. */
    catchUpProbeMs: z.number().int().min(100).default(5000),
    /** How often rows written by another process (a CLI replay) are picked up. */
    sweepSeconds: z.number().min(0.1).default(5),
  })
  .strict();

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
