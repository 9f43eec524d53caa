import { z } from 'zod';

const tonNpi = z.union([z.literal('auto'), z.number().int().min(0).max(255)]).default('auto');

export const smppConnectorSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('smpp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(2775),
    /** TLS to the SMSC: true, or options. */
    tls: z
      .union([
        z.boolean(),
        z
          .object({
            rejectUnauthorized: z.boolean().default(true),
            /** PEM file of the CA that signed the SMSC's certificate. */
            ca: z.string().optional(),
          })
          .strict(),
      ])
      .default(false),
    systemId: z.string().min(1).max(15),
    password: z.string().max(8),
    systemType: z.string().max(12).default(''),
    bindMode: z.enum(['transceiver', 'transmitter_receiver']).default('transceiver'),
    /** Sessions for this account; with transmitter_receiver, this many transmitters plus one receiver. */
    binds: z.number().int().min(1).max(64).default(1),
    /** Most submit_sm awaiting submit_sm_resp, per bind. */
    window: z.number().int().min(1).max(10_000).default(10),
    /**
     * How receipts quote the ids submit_sm_resp gave (Kannel's msg-id-type): string (as given), hex (submit
     * ids hex, receipts decimal), decimal (submit ids decimal, receipts hex), or auto: learned from the first
     * unambiguous receipts. A receipt is applied to one part only, never to another message's.
     */
    carrierIdFormat: z.enum(['auto', 'string', 'hex', 'decimal']).default('auto'),
    /** Messages per second per bind, evenly spaced; 0: no configured limit (the carrier's is learned from its throttling). */
    mps: z.number().min(0).default(0),
    enquireLinkSeconds: z.number().min(1).default(30),
    submitTimeoutMs: z.number().int().min(100).default(10_000),
    /**
     * No bind_resp this long after the TCP connection (a TLS handshake included): the connection is closed and tried
     * again (SMPP 3.4 §7.2, response_timer).
     */
    bindTimeoutMs: z.number().int().min(100).default(10_000),
    reconnect: z
      .object({ initialMs: z.number().int().min(10).default(1000), maxMs: z.number().int().min(10).default(30_000) })
      .strict()
      .prefault({}),
    /** The pause while the carrier refuses even a slowed rate (a carrier that is full, not just counting). */
    throttleBackoff: z
      .object({ initialMs: z.number().int().min(1).default(200), maxMs: z.number().int().min(1).default(5000) })
      .strict()
      .prefault({}),
    /** How long parts carry their concatenation: 8-bit UDH, 16-bit UDH, SAR TLVs or one message_payload. */
    concat: z.enum(['udh8', 'udh16', 'sar', 'payload']).default('udh8'),
    registeredDelivery: z.boolean().default(true),
    /** A message whose receipt has not come this long after submit_sm_resp becomes `unknown` (a late receipt corrects it); null: wait forever. */
    reportTimeoutMinutes: z.number().min(0.01).nullable().default(null),
    /**
     * TON/NPI. auto: '+' or '00' prefix → international (1/1), other digits →
     * unknown/ISDN (0/1), anything with letters → alphanumeric (5/0).
     */
    addressing: z.object({ sourceTon: tonNpi, sourceNpi: tonNpi, destTon: tonNpi, destNpi: tonNpi }).strict().prefault({}),
  })
  .strict();

export type SmppConnectorConfig = z.infer<typeof smppConnectorSchema>;
