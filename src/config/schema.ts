/**
 * The one config schema: every option, its default, and its validation. The
 * daemon and `telenode check-config` both run it; config/telenode.example.yaml
 * shows every default below.
 */
import { createPublicKey } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { smppConnectorSchema } from '../sms/connectors/smpp/config.js';
import { webhookConfigSchema } from '../webhooks/config.js';
import { modemConnectorSchema } from '../sms/connectors/modem/config.js';
import { voiceConfigSchema } from '../voice/config.js';
import { iovoxConfigSchema } from '../iovox/config.js';
import { emailConfigSchema } from '../email/config.js';
import { DEFAULT_EGRESS_DENY } from '../shared/egress.js';
import { cidr } from './cidr.js';
import { smppServerSchema, smppUserSchema } from '../sms/smpp-server/config.js';

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

/** A key the JWT check can use: checked at config load, not at the first request. */
function isPemPublicKey(value: string): boolean {
  if (!value.includes('BEGIN PUBLIC KEY')) return false;
  try {
    createPublicKey(value);
    return true;
  } catch {
    return false;
  }
}

const scryptHash = z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, {
  message: "expected a hash printed by 'telenode hash-password' (scrypt$N$r$p$salt$hash)",
});

const apiKeyHash = z.string().regex(/^sha256\$[0-9a-f]{64}$/, {
  message: "expected a hash printed by 'telenode api-key' (sha256$<64 hex digits>)",
});

const phoneNumber = z.string().regex(/^\+?[0-9]{3,20}$/, { message: 'expected a phone number: digits with an optional leading +' });

export const quotaSchema = z
  .object({
    /** Most SMS parts the user may send per UTC day (null: no limit). */
    partsPerDay: z.number().int().min(0).nullable().default(null),
    /** Most SMS parts the user may send per UTC month (null: no limit). */
    partsPerMonth: z.number().int().min(0).nullable().default(null),
  })
  .strict();

export const userSchema = z
  .object({
    username: z.string().min(1),
    passwordHash: scryptHash,
    /** SHA-256 of the user's API keys (Voximplant `api_key`); `telenode api-key` prints a new key and its hash. */
    apiKeyHashes: z.array(apiKeyHash).default([]),
    /**
     * Numbers the user owns: inbound SMS to them is theirs (history, Acrobits fetch), ControlSms may
     * switch them, and the first one is the sender of the user's Acrobits messages.
     */
    numbers: z.array(phoneNumber).default([]),
    /** May open the operator console (/admin) and call its endpoints (/admin/api/…). */
    admin: z.boolean().default(false),
    quota: quotaSchema.prefault({}),
    /** Ranges this user's callback URLs may reach beyond the node's egress policy (e.g. their CRM on 127.0.0.1). */
    egress: z
      .object({ allow: z.array(cidr).default([]) })
      .strict()
      .prefault({}),
    /** The Voximplant dialect: the account id requests must name, and service-account keys for JWT log-ins. */
    voximplant: z
      .object({
        /** `account_id` of api_key requests and `iss` of service-account JWTs must equal it; null: api_key requests may name any. */
        accountId: z
          .union([z.string().regex(/^[0-9]+$/, { message: 'expected the numeric Voximplant account id' }), z.number().int().nonnegative()])
          .transform(String)
          .nullable()
          .default(null),
        /** Public halves (SPKI PEM; `openssl pkey -in private.pem -pubout`) of the service accounts' key pairs, by key id. */
        serviceAccountKeys: z
          .array(
            z
              .object({
                keyId: z.string().min(1),
                publicKey: z.string().refine(isPemPublicKey, { message: 'expected a PEM public key (-----BEGIN PUBLIC KEY-----) that parses' }),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    /** May bind to the SMPP server (`smppServer`) with username and password; `true` or the limits. */
    smpp: smppUserSchema.default(null),
  })
  .strict();

/** Where inbound SMS to matching numbers go instead of the IncomingSMS URL: `smpp:<user>` (that user's receiver binds). */
export const inboundRouteSchema = z
  .object({
    recipient: matcherSchema.optional(),
    sender: matcherSchema.optional(),
    deliverTo: z.string().regex(/^smpp:.+$/, { message: "expected 'smpp:<username>'" }),
  })
  .strict();

export const acrobitsSchema = z
  .object({
    /** Parameter names the softphone's Account XML templates use (GET query, form or JSON body). */
    params: z
      .object({
        username: z.string().min(1).default('from'),
        password: z.string().min(1).default('password'),
        recipient: z.string().min(1).default('sms_to'),
        body: z.string().min(1).default('sms_body'),
        lastKnownSmsId: z.string().min(1).default('last_known_sms_id'),
        lastKnownSentSmsId: z.string().min(1).default('last_known_sent_sms_id'),
      })
      .strict()
      .prefault({}),
    /** Most messages one Fetch Messages answer carries (the app asks again for the rest). */
    fetchLimit: z.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const configSchema = z
  .object({
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9509),
        /** Largest request body accepted, in bytes. */
        bodyLimitBytes: z
          .number()
          .int()
          .min(1024)
          .default(64 * 1024),
        /** Most connections open to the API at once; more are answered 503 and closed as they come (hostile or runaway clients). */
        maxConnections: z.number().int().min(1).default(1024),
        /** Most connections open at once from one address (a sender's pool of keep-alive connections fits well under it). */
        maxConnectionsPerSource: z.number().int().min(1).default(256),
        /** A request's headers and body must have arrived within this many seconds of its first octet (else 408, closed). */
        requestTimeoutSeconds: z.number().int().min(1).max(3600).default(30),
        /**
         * Reverse proxies in front of the API (a TLS terminator), as IPs or CIDRs. A request arriving from one names
         * its client in X-Forwarded-For: the nearest address there that is not itself a trusted proxy is the
         * client for log-in limits and logs. Empty: X-Forwarded-For is ignored (anyone could write it).
         */
        trustedProxies: z.array(cidr).default([]),
        /**
         * Password and API-key guessing: after this many failed log-ins within the window, the source
         * address (or, for guesses spread over many addresses, the username) is refused for lockoutSeconds,
         * in each dialect's own error form.
         */
        loginLimits: z
          .object({
            maxFailuresPerSource: z.number().int().min(1).default(10),
            maxFailuresPerUser: z.number().int().min(1).default(20),
            windowSeconds: z.number().int().min(1).default(300),
            lockoutSeconds: z.number().int().min(1).default(300),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * Where telenode may send HTTP requests whose URL an API client, a script or a caller chose
     * (callbacks, OzML apps, Play URLs). Checked on the resolved address when connecting.
     */
    egress: z
      .object({
        /** CIDRs opened on purpose (e.g. 127.0.0.1/32 for an app on this host); wins over deny. */
        allow: z.array(cidr).default([]),
        /** CIDRs refused; the default is loopback, link-local (cloud metadata), unspecified, multicast, broadcast. */
        deny: z.array(cidr).default([...DEFAULT_EGRESS_DENY]),
      })
      .strict()
      .prefault({}),
    /**
     * How long finished work is kept (days; 0: forever). Pruned in small batches every `intervalMinutes`:
     * finished messages (with parts and history numbers), inbound messages, delivered callbacks, dead letters,
     * sent or given-up e-mails, call history, and (when asked) recordings. Unfinished messages and pending callbacks
     * are never pruned.
     */
    retention: z
      .object({
        messagesDays: z.number().min(0).default(90),
        inboundDays: z.number().min(0).default(90),
        callbacksDays: z.number().min(0).default(30),
        deadLettersDays: z.number().min(0).default(90),
        emailsDays: z.number().min(0).default(30),
        callsDays: z.number().min(0).default(90),
        /** Recordings (`*.wav` in voice.recordings.dir) by when last written; 0 (the default): kept until the app deletes them. */
        recordingsDays: z.number().min(0).default(0),
        intervalMinutes: z.number().min(1).default(60),
      })
      .strict()
      .prefault({}),
    /** The operator console at /admin (docs/console.md). */
    console: z
      .object({
        enabled: z.boolean().default(true),
        /** A console session ends after this long without a request. */
        sessionIdleMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(60),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        /** sqlite: one node, one file (the default). postgres: several nodes share one database (docs/cluster.md). */
        type: z.enum(['sqlite', 'postgres']).default('sqlite'),
        /** SQLite: the database file. */
        path: z.string().min(1).default('data/telenode.db'),
        /** SQLite: FULL survives power loss; NORMAL survives a process crash only. */
        synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
        /**
         * SQLite: least milliseconds between two commits; writes queued meanwhile share the next one; a write after
         * a quiet spell commits at once, and so does a batch of 32 waiting writes (decision 0133). 0 commits every
         * turn of the event loop. Trades up to this much latency for less CPU and fewer disk writes at a steady few
         * hundred messages a second (decision 0110, amended).
         */
        commitIntervalMs: z.number().int().min(0).max(100).default(5),
        /** PostgreSQL: postgres://user:password@host:port/database (the password never reaches a log). */
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, { message: 'expected postgres://user:password@host/database' })
          .optional(),
        /** PostgreSQL: connections this node keeps open. */
        poolSize: z.number().int().min(2).max(200).default(10),
        /**
         * PostgreSQL: longest wait for a statement's answer; then the request gets "try later" and the connection is
         * dropped (a hung or unreachable server). A COMMIT already sent is waited for however long (decision 0124).
         */
        queryTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
      })
      .strict()
      .refine((store) => store.type !== 'postgres' || store.url !== undefined, { message: 'store.url is required when store.type is postgres', path: ['url'] })
      .prefault({}),
    /** This node's name in a cluster (logs, /health, who holds a carrier bind); default: the host name. */
    node: z
      .object({
        id: z.string().min(1).max(64).default(hostname()),
        /** PostgreSQL clusters: a node silent this long is gone, and the others take over its work. */
        leaseSeconds: z.number().min(2).max(300).default(10),
        /**
         * PostgreSQL clusters: how often a node also asks the database for work no live node holds (a gone node's,
         * after its lease). Work another node hands over or frees at a clean stop is claimed when that node says so.
         */
        claimSweepSeconds: z.number().min(0.1).max(3600).default(1),
        /** PostgreSQL clusters: the base URL other nodes reach this node's API at (default: from http.host and the port; the host name when listening on all addresses). */
        url: z
          .string()
          .regex(/^https?:\/\/[^/]+$/, { message: 'expected http://host:port' })
          .optional(),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** json: one JSON object a line (for journald, log shippers); pretty: readable lines; auto: pretty on a terminal, JSON otherwise. */
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
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
            /** First matching rule wins; a message no rule matches goes to `url`. */
            routes: z.array(inboundRouteSchema).default([]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** Carrier connections. When empty, an in-process simulator named 'simulator' is used. */
    connectors: z.array(connectorSchema).default([]),
    /** The SMPP server for the company's own applications (null: off). */
    smppServer: smppServerSchema.nullable().default(null),
    /** The dial plan: first matching rule wins. When empty, every message goes to the first connector. */
    routes: z.array(routeSchema).default([]),
    webhooks: webhookConfigSchema.prefault({}),
    /** Calls: SIP engine, media, TTS. */
    voice: voiceConfigSchema.prefault({}),
    /** The Acrobits softphone SMS web services (/acrobits/send, /acrobits/fetch). */
    acrobits: acrobitsSchema.prefault({}),
    /** The IOVOX dialect: $_partnerName, the sendSms rule, SMS-to-voice failover links. */
    iovox: iovoxConfigSchema.prefault({}),
    /** Outbound e-mail (SMS e-mail alerts of IOVOX sendSms rules). */
    email: emailConfigSchema.prefault({}),
    /**
     * `telenode start`: before the API opens, pass this many messages through a throwaway copy of the node (its own
     * temporary store, an SMSC simulator and a callback receiver on loopback), so the first users' messages run on
     * compiled code, not cold (decision 0117). Takes about a second of CPU at start; 0: off.
     */
    warmUp: z
      .object({
        messages: z.number().int().min(0).max(10_000).default(500),
      })
      .strict()
      .prefault({}),
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
      if (connector.type === 'modem' && connector.node !== undefined && connector.node !== config.node.id && config.store.type !== 'postgres') {
        ctx.addIssue({
          code: 'custom',
          path: ['connectors', index, 'node'],
          message: `the modems are on node '${connector.node}', but this node is '${config.node.id}' and an SQLite store has no other node: nothing would send through them`,
        });
      }
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
    const keyOwners = new Map<string, string>();
    const numberOwners = new Map<string, string>();
    config.users.forEach((user, index) => {
      if (users.has(user.username)) {
        ctx.addIssue({ code: 'custom', path: ['users', index, 'username'], message: `duplicate user '${user.username}'` });
      }
      users.add(user.username);
      user.apiKeyHashes.forEach((hash, j) => {
        const owner = keyOwners.get(hash);
        if (owner !== undefined) ctx.addIssue({ code: 'custom', path: ['users', index, 'apiKeyHashes', j], message: `API key already belongs to '${owner}'` });
        keyOwners.set(hash, user.username);
      });
      user.numbers.forEach((number, j) => {
        const canonical = number.replace(/^\+/, '');
        const owner = numberOwners.get(canonical);
        if (owner !== undefined) ctx.addIssue({ code: 'custom', path: ['users', index, 'numbers', j], message: `number already belongs to '${owner}'` });
        numberOwners.set(canonical, user.username);
      });
    });
    config.users.forEach((user, index) => {
      if (user.voximplant.serviceAccountKeys.length > 0 && user.voximplant.accountId === null) {
        ctx.addIssue({ code: 'custom', path: ['users', index, 'voximplant', 'accountId'], message: 'required with serviceAccountKeys (the JWT iss)' });
      }
    });
    config.sms.inbound.routes.forEach((route, index) => {
      const username = route.deliverTo.slice('smpp:'.length);
      const user = config.users.find((u) => u.username === username);
      if (!user || !user.smpp) {
        ctx.addIssue({
          code: 'custom',
          path: ['sms', 'inbound', 'routes', index, 'deliverTo'],
          message: user ? `user '${username}' may not bind over SMPP (set users[].smpp)` : `unknown user '${username}'`,
        });
      }
    });
  });

export type Config = z.infer<typeof configSchema>;
export type ConnectorConfig = z.infer<typeof connectorSchema>;
export type SimulatorConnectorConfig = z.infer<typeof simulatorConnectorSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type UserConfig = z.infer<typeof userSchema>;
export type InboundRouteConfig = z.infer<typeof inboundRouteSchema>;
export type AcrobitsConfig = z.infer<typeof acrobitsSchema>;
