/**
 * The init sequence robust gateways converge on (shared/reference/gsm-modem.md
 * §1.1): leave a half-sent SMS (ESC), AT, no echo, numeric errors, identity
 * (which picks the profile), vendor init, SIM PIN, message format (PDU, or
 * text when the modem has no PDU mode), storage, phase 2+ when routed
 * messages are to be acknowledged, new-message indications, and what is
 * shown in /health (SMSC, IMSI). Network registration is waited for after
 * all of it (waitForRegistration), by the caller, once it listens for what
 * arrives.
 */
import type { Logger } from '../../../shared/log.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { AtChannel } from './at-channel.js';
import type { ModemDeviceConfig } from './config.js';
import { cnmiRouting, resolveProfile, storingMessages, type ModemProfile } from './profiles.js';
import { splitFields } from './text-mode.js';

export interface ModemSession {
  profile: ModemProfile;
  messageMode: 'pdu' | 'text';
  /** The AT+CNMI setting the modem took. */
  cnmi: string;
  /** Routed +CMT/+CDS must be answered with AT+CNMA (AT+CSMS=1 was accepted). */
  ackRouted: boolean;
  /** The memories AT+CPMS took: read/delete first, then write and receive when the modem took three. */
  storage: readonly string[];
  identity: ModemIdentity;
}

export interface ModemIdentity {
  manufacturer: string;
  model: string;
  imei: string;
  imsi: string;
  smsc: string;
}

export interface Registration {
  /** The best stat among CREG/CGREG/CEREG: 1 home, 5 roaming, 2 searching, 3 denied, 0/4 not registered; -1 no answer. */
  stat: number;
  registered: boolean;
}

export async function initialiseModem(at: AtChannel, config: ModemDeviceConfig, log: Logger): Promise<ModemSession> {
  at.abortPrompt();
  await at.send('AT');
  await at.send('ATE0');
  await at.send('AT+CMEE=1').catch(() => undefined); // lives without numeric errors (Gammu does too)
  const ask = async (command: string) => (await at.send(command).catch(() => ({ lines: [] as string[] }))).lines.join(' ').trim();
  const identity: ModemIdentity = {
    manufacturer: await ask('AT+CGMI'),
    model: await ask('AT+CGMM'),
    imei: await ask('AT+CGSN'),
    imsi: '',
    smsc: '',
  };
  const profile = resolveProfile(config.profile, identity.manufacturer, identity.model);
  at.setNoise(profile.noise);
  at.setPromptDelay(profile.promptDelayMs);
  for (const command of profile.vendorInit) {
    await at.send(command).catch((err: Error) => log.warn({ command, err: err.message }, 'vendor init command refused'));
  }
  await unlockSim(at, config);
  // Everything that decides what arrives and how comes before the registration wait (which can take
  // minutes): after a USB drop the modem has forgotten AT+CNMI, and what arrives meanwhile must be indicated.
  const messageMode = await chooseMessageMode(at, config.messageMode);
  const storage = await selectStorage(at, profile);
  // Phase 2+ where the profile acknowledges routed messages: otherwise the modem acknowledges them itself.
  let ackRouted = false;
  if (profile.ackRouted && messageMode === 'pdu')
    ackRouted = await at.send('AT+CSMS=1').then(
      () => true,
      () => false,
    );
  const candidates = cnmiCandidates(config, profile, messageMode, ackRouted, log);
  const cnmi = await firstAccepted(
    at,
    candidates.map((c) => `AT+CNMI=${c}`),
  );
  if (cnmi === null)
    throw new AppError(ErrorCode.MODEM_ERROR, `the modem refused every new-message indication setting (${candidates.join(' / ')})`, { retryable: true });
  if (ackRouted && !routes(cnmi.slice('AT+CNMI='.length))) {
    await at.send('AT+CSMS=0').catch(() => undefined);
    ackRouted = false;
  }
  identity.imsi = await ask('AT+CIMI');
  identity.smsc = /"([^"]*)"/.exec(await ask('AT+CSCA?'))?.[1] ?? '';
  return { profile, messageMode, cnmi: cnmi.slice('AT+CNMI='.length), ackRouted, storage, identity };
}

/** The AT+CNMI settings to try, in order: the configured one or the profile's, made safe for this session. */
function cnmiCandidates(config: ModemDeviceConfig, profile: ModemProfile, messageMode: 'pdu' | 'text', ackRouted: boolean, log: Logger): string[] {
  let wanted = config.cnmi ? [config.cnmi] : [...((ackRouted && profile.cnmiWithAck) || profile.cnmi)];
  // Text mode reads stored messages only: its routed formats (+CDS on one line) are not parsed.
  if (messageMode === 'text') {
    if (config.cnmi && routes(config.cnmi)) log.warn({ cnmi: config.cnmi }, 'text mode: routed indications are not used; storing messages instead');
    const stored = wanted.filter((c) => !routes(c));
    return stored.length > 0 ? stored : profile.cnmi.filter((c) => !routes(c));
  }
  if (!ackRouted) {
    const safe = wanted.map(storingMessages);
    if (config.cnmi && safe[0] !== config.cnmi) {
      log.warn(
        { cnmi: config.cnmi, using: safe[0], profile: profile.name },
        'routed inbound messages cannot be acknowledged on this modem (no phase 2+, AT+CSMS=1): it would acknowledge them itself and lose those that arrive while telenode is down, so they are stored instead',
      );
    }
    wanted = safe;
  }
  return [...new Set(wanted)];
}

function routes(cnmi: string): boolean {
  const r = cnmiRouting(cnmi);
  return r.routesMessages || r.routesReports;
}

/**
 * Enter the configured PIN, at most once, and never on the SIM's last try: three wrong PINs lock the SIM
 * behind its PUK. Every refusal is MODEM_SIM_LOCKED, which stops the modem's reconnect loop (a loop would
 * spend the remaining tries) until an operator fixes `pin:` and restarts.
 */
async function unlockSim(at: AtChannel, config: ModemDeviceConfig): Promise<void> {
  const locked = (why: string, tries: number | null) =>
    new AppError(ErrorCode.MODEM_SIM_LOCKED, `${why}${tries === null ? '' : ` (${tries} ${tries === 1 ? 'try' : 'tries'} left)`}`, {
      retryable: false,
      details: tries === null ? {} : { triesLeft: tries },
    });
  const pin = (await at.send('AT+CPIN?')).lines.join(' ');
  if (/SIM PUK/.test(pin)) throw locked('the SIM is PUK-locked: unlock it in a phone first', null);
  if (!/SIM PIN/.test(pin)) return;
  const tries = await pinTriesLeft(at);
  if (!config.pin) throw locked('the SIM asks for a PIN and none is configured', tries);
  if (tries !== null && tries <= 1) throw locked('the SIM has one PIN try left: telenode will not risk it; enter the PIN in a phone', tries);
  try {
    await at.send(`AT+CPIN="${config.pin}"`);
  } catch (err) {
    const after = await pinTriesLeft(at).catch(() => null);
    throw locked(`the SIM refused the configured PIN (${(err as Error).message}): fix pin: and restart; telenode will not try again`, after);
  }
}

/** 27.007 §8.65 +CPINR (and Quectel's +QPINC, Huawei's ^CPIN): PIN tries left, or null where the modem does not say. */
async function pinTriesLeft(at: AtChannel): Promise<number | null> {
  for (const [command, pattern] of [
    ['AT+CPINR="SIM PIN"', /\+CPINR:\s*"?SIM PIN"?\s*,\s*(\d+)/],
    ['AT+QPINC="SC"', /\+QPINC:\s*"SC"\s*,\s*(\d+)/],
    ['AT^CPIN?', /\^CPIN:\s*[^,]*,[^,]*,\s*(\d+)/],
  ] as const) {
    const reply = await at.send(command).catch(() => null);
    const tries = reply ? pattern.exec(reply.lines.join(' '))?.[1] : undefined;
    if (tries !== undefined) return Number(tries);
  }
  return null;
}

/** Any of CREG/CGREG/CEREG registered counts: LTE-only attachments leave CREG at "not registered". */
export async function readRegistration(at: AtChannel): Promise<Registration> {
  let best = -1;
  for (const command of ['AT+CREG?', 'AT+CGREG?', 'AT+CEREG?']) {
    const reply = await at.send(command).catch((err: unknown) => {
      if (err instanceof AppError && (err.code === ErrorCode.MODEM_TIMEOUT || err.code === ErrorCode.MODEM_CLOSED)) throw err;
      return null;
    });
    if (!reply) continue;
    const stat = Number(/\+C[EG]?REG:\s*\d+\s*,\s*"?(\d+)/.exec(reply.lines.join(' '))?.[1] ?? -1);
    if (stat === 1 || stat === 5) return { stat, registered: true };
    if (best === -1) best = stat;
  }
  return { stat: best, registered: false };
}

/** Poll until registered (any of CREG/CGREG/CEREG), or fail after timeoutMs. */
export async function waitForRegistration(at: AtChannel, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const registration = await readRegistration(at);
    if (registration.registered) return;
    if (Date.now() > deadline) throw new AppError(ErrorCode.MODEM_ERROR, `not registered on a network (stat ${registration.stat})`, { retryable: true });
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function chooseMessageMode(at: AtChannel, wanted: ModemDeviceConfig['messageMode']): Promise<'pdu' | 'text'> {
  if (wanted === 'text') {
    await setTextMode(at);
    return 'text';
  }
  let offersPdu = true;
  if (wanted === 'auto') {
    // +CMGF: (0,1) or (0-1) or (1); a modem that does not answer the test command may still take =0.
    const range = await at.send('AT+CMGF=?').then(
      (r) => r.lines.join(' '),
      () => '',
    );
    if (/\+CMGF:/.test(range)) offersPdu = /[(,]\s*0|0\s*-/.test(range);
  }
  if (offersPdu) {
    const pdu = await at.send('AT+CMGF=0').then(
      () => true,
      (err: unknown) => (wanted === 'pdu' ? Promise.reject(err) : false),
    );
    if (pdu) return 'pdu';
  }
  await setTextMode(at);
  return 'text';
}

async function setTextMode(at: AtChannel): Promise<void> {
  await at.send('AT+CMGF=1');
  // IRA: quoted strings and message text as ASCII (see text-mode.ts for what that allows).
  await at.send('AT+CSCS="IRA"').catch(() => undefined);
  // Without details: the reply formats text-mode.ts parses.
  await at.send('AT+CSDH=0').catch(() => undefined);
}

async function selectStorage(at: AtChannel, profile: ModemProfile): Promise<string[]> {
  const accepted = await firstAccepted(
    at,
    profile.storage.map((s) => `AT+CPMS=${s}`),
  );
  // A modem that takes no CPMS at all keeps its own default; SM is the usual one.
  return accepted ? splitFields(accepted.slice('AT+CPMS='.length)) : ['SM'];
}

async function firstAccepted(at: AtChannel, commands: readonly string[]): Promise<string | null> {
  for (const command of commands) {
    try {
      await at.send(command);
      return command;
    } catch (err) {
      if (err instanceof AppError && (err.code === ErrorCode.MODEM_TIMEOUT || err.code === ErrorCode.MODEM_CLOSED)) throw err;
    }
  }
  return null;
}

/** AT+COPS? → the operator's name, or '' (27.007 §7.3: +COPS: <mode>[,<format>,<oper>[,<AcT>]]). */
export async function readOperator(at: AtChannel): Promise<string> {
  const reply = await at.send('AT+COPS?').catch(() => null);
  if (!reply) return '';
  const fields = splitFields(reply.lines.join(' ').replace(/^\+COPS:/, ''));
  return fields[2] ?? '';
}

/** AT+CSQ → rssi 0..31, 99 unknown, -1 no answer. */
export async function readSignal(at: AtChannel): Promise<number> {
  const reply = await at.send('AT+CSQ');
  return Number(/\+CSQ:\s*(\d+)/.exec(reply.lines.join(' '))?.[1] ?? -1);
}
