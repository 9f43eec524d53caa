/**
 * `smppServer:` — telenode as an SMSC for the company's own applications
 * (ESMEs), and `users[].smpp` — which API users may bind, and their limits.
 */
import { z } from 'zod';

export const smppServerSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(2775),
    /** Serve SMPP over TLS with this certificate and key (PEM files); null: plain TCP. */
    tls: z
      .object({ cert: z.string().min(1), key: z.string().min(1) })
      .strict()
      .nullable()
      .default(null),
    /** A session that sends nothing for this long is asked with enquire_link, and closed if it does not answer within the same time. */
    enquireLinkTimeoutSeconds: z.number().min(1).default(90),
    /** A connection must bind within this time, or it is closed. */
    bindTimeoutSeconds: z.number().min(1).default(30),
    /** Connections at once, in all and from one address (bound or not). */
    maxConnections: z.number().int().min(1).default(500),
    maxConnectionsPerSource: z.number().int().min(1).default(50),
    /** ESME_RMSGQFUL while more messages than this wait for a carrier. */
    maxQueueDepth: z.number().int().min(1).default(100_000),
    /** Parts of a long message (UDH or SAR) wait this long for their siblings; then the message fails and each part gets its receipt. */
    reassemblyTimeoutSeconds: z.number().min(1).default(300),
    /** Receipts and MO a client refused or did not answer are offered again after this long (doubling up to 5 min). */
    retrySeconds: z.number().min(0.1).default(5),
  })
  .strict();

export type SmppServerConfig = z.infer<typeof smppServerSchema>;

/** A user's SMPP rights; `smpp: true` in the config is the same as `smpp: {}`. */
export const smppUserSchema = z.preprocess(
  (value) => (value === true ? {} : value === false ? null : value),
  z
    .object({
      /** Binds this user may hold at once, in all (transmitter, receiver and transceiver alike). */
      maxBinds: z.number().int().min(1).default(4),
      /** Requests one session may have unanswered; more are refused with ESME_RTHROTTLED. */
      window: z.number().int().min(1).default(100),
      /** Messages per second, over all the user's binds; more are refused with ESME_RTHROTTLED. 0: no limit. */
      mps: z.number().min(0).default(0),
      /** How inbound SMS routed to this user arrive: joined in one deliver_sm (message_payload when long), or as UDH parts. */
      moParts: z.enum(['joined', 'udh']).default('joined'),
    })
    .strict()
    .nullable(),
);

export type SmppUserConfig = NonNullable<z.infer<typeof smppUserSchema>>;
