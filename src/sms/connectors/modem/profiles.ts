/**
 * Modem profiles: the quirks of a modem family as data, the way Gammu's
 * gsmphones.c and Kannel's modems.conf keep them (see
 * shared/reference/gsm-modem.md §3). `auto` picks one from AT+CGMI.
 *
 * What a profile decides:
 * - the AT+CNMI settings to try, in order (mt=1 store + +CMTI, mt=2 route as
 *   +CMT; ds=2 store + +CDSI, ds=1 route as +CDS), with and without phase 2+;
 * - whether to ask for phase 2+ (AT+CSMS=1), so routed +CMT/+CDS are
 *   acknowledged with AT+CNMA: then the network keeps a message until
 *   telenode has stored it; without it the modem acknowledges on its own and
 *   a routed message that arrives while the port is closed is gone;
 * - the AT+CPMS arguments to try (some Huawei sticks need all three);
 * - vendor commands after init (Huawei AT^CURC=0 silences its ^ URCs);
 * - a pause after the `> ` prompt, re-sending AT+CMGF before each message;
 * - vendor URCs that are noise, and the ones that mean "I rebooted".
 */

export const PROFILE_NAMES = ['auto', 'generic', 'simcom', 'quectel', 'huawei'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface ModemProfile {
  name: Exclude<ProfileName, 'auto'>;
  /** AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr> values tried in order until the modem takes one (no phase 2+). */
  cnmi: readonly string[];
  /** Ask for phase 2+ (AT+CSMS=1) and acknowledge routed +CMT/+CDS with AT+CNMA after they are stored. */
  ackRouted: boolean;
  /**
   * The AT+CNMI order once phase 2+ is on, where it differs: routed reports (+CDS) first, since each
   * stored one costs three commands (AT+CPMS, AT+CMGR, AT+CMGD) between sends, and an acknowledged
   * routed report is as safe as a stored one.
   */
  cnmiWithAck?: readonly string[];
  /** AT+CPMS arguments tried in order: read/delete, write/send, receive memory. */
  storage: readonly string[];
  /** Vendor commands after the standard init; a failure is logged, not fatal. */
  vendorInit: readonly string[];
  /** Pause after the `> ` prompt before the PDU is written. */
  promptDelayMs: number;
  /** Send AT+CMGF before every message (firmware that forgets the message format). */
  reassertMessageFormat: boolean;
  /** Vendor URC prefixes to split out of replies and ignore. */
  noise: readonly string[];
  /** URCs that mean the modem restarted: every setting is lost, initialise again. */
  rebootUrcs: readonly string[];
}

const STORE_BOTH = '2,1,0,2,0';
const STORE_ROUTE_REPORTS = '2,1,0,1,0';
const STORE_NO_REPORTS = '2,1,0,0,0';

export const PROFILES: Readonly<Record<ModemProfile['name'], ModemProfile>> = {
  /**
   * With phase 2+: inbound stored, reports routed and acknowledged. Without:
   * store and indicate everything (+CMTI/+CDSI), then routed reports, then
   * none (ModemManager's fallback order).
   */
  generic: {
    name: 'generic',
    cnmi: [STORE_BOTH, STORE_ROUTE_REPORTS, STORE_NO_REPORTS],
    cnmiWithAck: [STORE_ROUTE_REPORTS, STORE_BOTH, STORE_NO_REPORTS],
    ackRouted: true,
    storage: ['"SM","SM","SM"', '"SM"'],
    vendorInit: [],
    promptDelayMs: 0,
    reassertMessageFormat: false,
    noise: [],
    rebootUrcs: [],
  },
  /**
   * SIM800/SIM900/SIM7600: the SIM7600 announces stored reports as
   * +CDSI: "SR",n and then answers AT+CMGR=n with +CMS ERROR 321
   * (python-gsmmodem #106), so reports are routed (+CDS). SIM800 users report
   * it forgetting CMGF: re-send it before each message. Gammu waits 100 ms
   * after the prompt. RDY after a restart; Call Ready / SMS Ready at boot.
   */
  simcom: {
    name: 'simcom',
    cnmi: [STORE_ROUTE_REPORTS, STORE_BOTH, STORE_NO_REPORTS],
    ackRouted: false,
    storage: ['"SM","SM","SM"', '"SM"'],
    vendorInit: [],
    promptDelayMs: 100,
    reassertMessageFormat: true,
    noise: ['*PSUTTZ', 'DST:', '+CTZV:', '*ATREADY', '+CIEV:', 'PB DONE'],
    rebootUrcs: ['RDY'],
  },
  /**
   * EC25/EG25/M35: reports are stored in "SR" but announced as
   * +CDSI: "SM",0 (asterisk-chan-quectel PR #75), so they are routed as +CDS
   * and acknowledged with AT+CNMA once stored. RDY means the module restarted
   * (ModemManager's Quectel plugin re-probes on it).
   */
  quectel: {
    name: 'quectel',
    cnmi: [STORE_ROUTE_REPORTS, STORE_BOTH, STORE_NO_REPORTS],
    ackRouted: true,
    storage: ['"SM","SM","SM"', '"SM"'],
    vendorInit: [],
    promptDelayMs: 0,
    reassertMessageFormat: false,
    noise: ['+QIND:', '+QUSIM:', '+QSTK', 'POWERED DOWN'],
    rebootUrcs: ['RDY'],
  },
  /**
   * E1x/E3x sticks: ^RSSI, ^MODE, ^DSFLOWRPT … at any moment, silenced with
   * AT^CURC=0 (Gammu F_HUAWEI_INIT) and ignored when they come anyway; the
   * E3372-325 takes AT+CPMS only with all three memories (gammu #829);
   * "COMMAND NOT SUPPORT" is an error result (handled by the AT channel).
   */
  huawei: {
    name: 'huawei',
    cnmi: [STORE_BOTH, STORE_ROUTE_REPORTS, STORE_NO_REPORTS],
    cnmiWithAck: [STORE_ROUTE_REPORTS, STORE_BOTH, STORE_NO_REPORTS],
    ackRouted: true,
    storage: ['"SM","SM","SM"', '"ME","ME","ME"'],
    vendorInit: ['AT^CURC=0'],
    promptDelayMs: 0,
    reassertMessageFormat: false,
    noise: [
      '^DSFLOWRPT',
      '^SIMST',
      '^CEND',
      '^ORIG',
      '^CONF',
      '^CONN',
      '^STIN',
      '^NWTIME',
      '^ACTIVEBAND',
      '^EONS',
      '^RFSWITCH',
      '^SRVST',
      '^HCSQ',
      '^RSSI',
      '^MODE',
      '^BOOT',
      '^CSNR',
      '^SYSINFOEX',
    ],
    rebootUrcs: [],
  },
};

/** The profile for a manufacturer string (AT+CGMI), as `profile: auto` picks it. */
export function detectProfile(manufacturer: string, model = ''): ModemProfile {
  const who = `${manufacturer} ${model}`;
  if (/simcom|sim\d{3,4}/i.test(who)) return PROFILES.simcom;
  if (/quectel/i.test(who)) return PROFILES.quectel;
  if (/huawei/i.test(who)) return PROFILES.huawei;
  return PROFILES.generic;
}

export function resolveProfile(name: ProfileName, manufacturer: string, model: string): ModemProfile {
  return name === 'auto' ? detectProfile(manufacturer, model) : PROFILES[name];
}

/** What an AT+CNMI setting asks for: routed inbound messages (mt=2/3) and routed reports (ds=1). */
export function cnmiRouting(cnmi: string): { routesMessages: boolean; routesReports: boolean } {
  const [, mt, , ds] = cnmi.split(',').map((v) => Number(v.trim()));
  return { routesMessages: mt === 2 || mt === 3, routesReports: ds === 1 };
}

/**
 * The same setting with inbound messages stored and indicated (mt=1) instead of routed (mt=2/3): a routed
 * message that cannot be acknowledged is acknowledged by the modem itself, and one that arrives while
 * telenode is down is gone; a stored one waits in the SIM (27.005 §3.4.1).
 */
export function storingMessages(cnmi: string): string {
  const fields = cnmi.split(',');
  if (cnmiRouting(cnmi).routesMessages) fields[1] = '1';
  return fields.join(',');
}
