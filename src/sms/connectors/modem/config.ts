import { z } from 'zod';

export const modemConnectorSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('modem'),
    /** Serial device, e.g. /dev/ttyUSB2 (the user needs the dialout group). */
    port: z.string().min(1),
    baudRate: z.number().int().positive().default(115200),
    /** SIM PIN, sent only when the modem asks for it (+CPIN: SIM PIN). */
    pin: z.string().regex(/^\d{4,8}$/).optional(),
    /** The SIM's own number, used as the recipient of inbound messages. */
    ownNumber: z.string().default(''),
    commandTimeoutMs: z.number().int().min(100).default(10_000),
    /** AT+CMGS waits for the network: allow longer. */
    sendTimeoutMs: z.number().int().min(100).default(60_000),
    /** How long start-up waits for network registration before retrying the whole init. */
    registrationTimeoutMs: z.number().int().min(100).default(60_000),
    reconnect: z
      .object({ initialMs: z.number().int().min(10).default(2000), maxMs: z.number().int().min(10).default(60_000) })
      .strict()
      .prefault({}),
    /** How often signal and registration are polled; a modem that does not answer is re-initialised. */
    healthSeconds: z.number().min(0.1).default(30),
    /** Store inbound messages and status reports, indicate them (+CMTI/+CDSI): 27.005 §3.4.1. */
    cnmi: z.string().default('2,1,0,2,0'),
  })
  .strict();

export type ModemConnectorConfig = z.infer<typeof modemConnectorSchema>;
