/**
 * The one config schema: every option, its default, and its validation. The
 * daemon and `telenode check-config` both run it; config/telenode.example.yaml
 * shows every default below.
 */
import { z } from 'zod';
import { smppConnectorSchema } from '../sms/connectors/smpp/config.js';
import { webhookConfigSchema } from '../webhooks/config.js';
import { modemConnectorSchema } from '../sms/connectors/modem/config.js';
import { iovoxConfigSchema } from '../iovox/config.js';
import { emailConfigSchema } from '../email/config.js';

const matcherSchema = z
  .object({
    /** One prefix or a list; '+' and a leading '00' are ignored on both sides. */
    prefix: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** A JavaScript regular expression tested against the number as given. */
    regex: z
      .string()
      .min(1)
      .refine(
        (value) => {
          try {
            new RegExp(value);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not a valid regular expression' },
      )
      .optional(),
  })
  .strict();

export const routeSchema = z
  .object({
    name: z.string().optional(),
    recipient: matcherSchema.optional(),
    sender: matcherSchema.optional(),
    /** Connector ids in order of preference; the next one takes over while a bind is down. */
    connectors: z.array(z.string().min(1)).min(1),
  })
  .strict();

export const simulatorConnectorSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('simulator'),
    /** Delay before the simulated handset receipt. */
    receiptDelayMs: z.number().int().min(0).default(200),
    /** Fraction (0..1) of messages whose receipt says UNDELIV. */
    failureRate: z.number().min(0).max(1).default(0),
  })
  .strict();

export const connectorSchema = z.discriminatedUnion('type', [smppConnectorSchema, modemConnectorSchema, simulatorConnectorSchema]);

const scryptHash = z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, {
  message: "expected a hash printed by 'telenode hash-password' (scrypt$N$r$p$salt$hash)",
});

export const userSchema = z
  .object({
    username: z.string().min(1),
    passwordHash: scryptHash,
  })
  .strict();

export const configSchema = z
  .object({
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9509),
        /** Largest request body accepted, in bytes. */
        bodyLimitBytes: z.number().int().min(1024).default(64 * 1024),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        path: z.string().min(1).default('data/telenode.db'),
        /** FULL survives power loss; NORMAL survives a process crash only. */
        synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
    /**
     * API users. When empty, telenode creates user 'admin' with a random
     * password written to <data dir>/admin-password.txt on first start.
     */
    users: z.array(userSchema).default([]),
    sms: z
      .object({
        /** Longest message accepted, in parts (153 GSM-7 / 67 UCS-2 characters each). */
        maxParts: z.number().int().min(1).max(255).default(10),
        /** Sender used when a request gives none. */
        defaultSender: z.string().min(1).default('telenode'),
        /** Ask carriers for a handset receipt on every part. */
        requestReceipts: z.boolean().default(true),
        retry: z
          .object({
            initialMs: z.number().int().min(10).default(2000),
            maxMs: z.number().int().min(10).default(300_000),
            /** A message not handed to a carrier within this time fails as expired. */
            maxAgeHours: z.number().min(0.001).default(48),
          })
          .strict()
          .prefault({}),
        inbound: z
          .object({
            /** Where IncomingSMS notifications are POSTed (none: stored only). */
            url: z.url().nullable().default(null),
            /** Parts of a concatenated inbound message wait this long for their siblings. */
            reassemblyTimeoutSeconds: z.number().min(1).default(300),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** Carrier connections. When empty, an in-process simulator named 'simulator' is used. */
    connectors: z.array(connectorSchema).default([]),
    /** The dial plan: first matching rule wins. When empty, every message goes to the first connector. */
    routes: z.array(routeSchema).default([]),
    webhooks: webhookConfigSchema.prefault({}),
    /** The IOVOX dialect: $_partnerName, the sendSms rule, SMS-to-voice failover links. */
    iovox: iovoxConfigSchema.prefault({}),
    /** Outbound e-mail (SMS e-mail alerts of IOVOX sendSms rules). */
    email: emailConfigSchema.prefault({}),
    shutdown: z
      .object({
        /** How long SIGTERM waits for in-flight submits and callbacks. */
        drainMs: z.number().int().min(0).default(10_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const ids = new Set<string>();
    config.connectors.forEach((connector, index) => {
      if (ids.has(connector.id)) {
        ctx.addIssue({ code: 'custom', path: ['connectors', index, 'id'], message: `duplicate connector id '${connector.id}'` });
      }
      ids.add(connector.id);
    });
    config.routes.forEach((route, index) => {
      route.connectors.forEach((id, j) => {
        if (!ids.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', index, 'connectors', j],
            message: `unknown connector '${id}'${ids.size ? ` (known: ${[...ids].join(', ')})` : ' (no connectors configured)'}`,
          });
        }
      });
    });
    const users = new Set<string>();
    config.users.forEach((user, index) => {
      if (users.has(user.username)) {
        ctx.addIssue({ code: 'custom', path: ['users', index, 'username'], message: `duplicate user '${user.username}'` });
      }
      users.add(user.username);
    });
  });

export type Config = z.infer<typeof configSchema>;
export type ConnectorConfig = z.infer<typeof connectorSchema>;
export type SimulatorConnectorConfig = z.infer<typeof simulatorConnectorSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type UserConfig = z.infer<typeof userSchema>;
