import { z } from 'zod';
import { PROFILE_NAMES } from './profiles.js';

/** Settings one modem may have of its own; on the connector they are the defaults for every modem. */
const perModemFields = {
  baudRate: z.number().int().positive(),
  /** SIM PIN, sent only when the modem asks for it (+CPIN: SIM PIN). */
  pin: z.string().regex(/^\d{4,8}$/),
  /** The SIM's own number, used as the recipient of inbound messages. */
  ownNumber: z.string(),
  /** Quirk profile (profiles.ts); auto picks one from AT+CGMI. */
  profile: z.enum(PROFILE_NAMES),
  /** PDU mode (AT+CMGF=0), text mode (=1), or auto: PDU when AT+CMGF=? offers it. */
  messageMode: z.enum(['auto', 'pdu', 'text']),
  /** AT+CNMI setting instead of the profile's list. */
  cnmi: z.string().regex(/^\d(,\d){1,4}$/, { message: 'expected AT+CNMI values like 2,1,0,2,0' }),
  /** Most messages (parts) this modem sends per minute; none: as fast as it answers. */
  maxPerMinute: z.number().positive(),
  /** CSQ rssi below this (or 99, unknown) counts as no signal: the modem takes no messages. 0: never. */
  minSignal: z.number().int().min(0).max(31),
};

const modemEntrySchema = z
  .object({
    /** Names the modem in logs, /health and /metrics; default: <connector id>-<position>. */
    id: z.string().min(1).optional(),
    /** Serial device, e.g. /dev/serial/by-id/usb-…-if02-port0. */
    port: z.string().min(1),
    ...z.object(perModemFields).partial().shape,
  })
  .strict();

export const modemConnectorSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('modem'),
    /** One modem: its serial device (the user needs the dialout group). Or `modems:` for a pool. */
    port: z.string().min(1).optional(),
    /** A pool: several modems as one connector, load-balanced, each failing over to the others. */
    modems: z.array(modemEntrySchema).min(1).optional(),
    /**
     * Clusters (issue 17): the `node.id` of the machine the modems are plugged into. Only that node opens the
     * ports and sends through them; the others hand the connector's messages to it. Unset: every node that has
     * this config opens the ports named here (right for one node, or when each machine has its own modems).
     */
    node: z.string().min(1).max(64).optional(),
    baudRate: perModemFields.baudRate.default(115200),
    pin: perModemFields.pin.optional(),
    ownNumber: perModemFields.ownNumber.default(''),
    profile: perModemFields.profile.default('auto'),
    messageMode: perModemFields.messageMode.default('auto'),
    cnmi: perModemFields.cnmi.optional(),
    maxPerMinute: perModemFields.maxPerMinute.optional(),
    minSignal: perModemFields.minSignal.default(0),
    commandTimeoutMs: z.number().int().min(100).default(10_000),
    /** AT+CMGS waits for the network: allow longer. */
    sendTimeoutMs: z.number().int().min(100).default(60_000),
    /** A message whose status report has not come this long after sending becomes `unknown` (a late report corrects it); null: wait forever. */
    reportTimeoutMinutes: z.number().min(0.01).nullable().default(60),
    /** How long start-up waits for network registration before retrying the whole init. */
    registrationTimeoutMs: z.number().int().min(100).default(60_000),
    reconnect: z
      .object({ initialMs: z.number().int().min(10).default(2000), maxMs: z.number().int().min(10).default(60_000) })
      .strict()
      .prefault({}),
    /** How often signal and registration are polled; a modem that does not answer is re-initialised. */
    healthSeconds: z.number().min(0.1).default(30),
    /** How often the storage is listed (AT+CMGL) for messages whose indication was lost. */
    sweepSeconds: z.number().min(0.1).default(300),
  })
  .strict()
  .superRefine((config, ctx) => {
    if ((config.port === undefined) === (config.modems === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'give either port (one modem) or modems (a pool), not both or neither' });
    }
    const ids = new Set<string>();
    config.modems?.forEach((modem, index) => {
      const id = modem.id ?? `${config.id}-${index + 1}`;
      if (ids.has(id)) ctx.addIssue({ code: 'custom', path: ['modems', index, 'id'], message: `duplicate modem id '${id}'` });
      ids.add(id);
    });
  });

export type ModemConnectorConfig = z.infer<typeof modemConnectorSchema>;

/** One modem with every setting resolved: its own, else the connector's. */
export interface ModemDeviceConfig {
  id: string;
  port: string;
  baudRate: number;
  pin: string | undefined;
  ownNumber: string;
  profile: ModemConnectorConfig['profile'];
  messageMode: ModemConnectorConfig['messageMode'];
  cnmi: string | undefined;
  maxPerMinute: number | undefined;
  minSignal: number;
  commandTimeoutMs: number;
  sendTimeoutMs: number;
  registrationTimeoutMs: number;
  reconnect: { initialMs: number; maxMs: number };
  healthSeconds: number;
  sweepSeconds: number;
}

export function modemDevices(config: ModemConnectorConfig): ModemDeviceConfig[] {
  const shared = {
    baudRate: config.baudRate,
    pin: config.pin,
    ownNumber: config.ownNumber,
    profile: config.profile,
    messageMode: config.messageMode,
    cnmi: config.cnmi,
    maxPerMinute: config.maxPerMinute,
    minSignal: config.minSignal,
    commandTimeoutMs: config.commandTimeoutMs,
    sendTimeoutMs: config.sendTimeoutMs,
    registrationTimeoutMs: config.registrationTimeoutMs,
    reconnect: config.reconnect,
    healthSeconds: config.healthSeconds,
    sweepSeconds: config.sweepSeconds,
  };
  if (config.port !== undefined) return [{ ...shared, id: config.id, port: config.port }];
  return (config.modems ?? []).map((modem, index) => {
    const { id, ...own } = modem;
    const defined = Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined));
    return { ...shared, ...defined, id: id ?? `${config.id}-${index + 1}` } as ModemDeviceConfig;
  });
}
