/**
 * `telenode modem-probe PORT`: what is on this serial port, can it send SMS,
 * and can it receive them? Identity, SIM (with what to do about a PIN),
 * registration on every domain (CREG, CGREG, CEREG: an LTE-only modem is
 * registered on CEREG alone), signal, SMSC, PDU mode, phase 2+, new-message
 * indications and storage, the profile `auto` would pick — each line a
 * finding — a verdict, and a connector to paste into the config.
 *
 * The port is opened exclusively: a running daemon that holds it is not
 * disturbed (its AT commands and ours would interleave), and the probe says so.
 */
import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { AtChannel } from '../sms/connectors/modem/at-channel.js';
import { closeSerialPort, openSerialPort } from '../sms/connectors/modem/serial.js';
import { cnmiRouting, detectProfile, PROFILES } from '../sms/connectors/modem/profiles.js';
import { AppError, ErrorCode } from '../shared/errors.js';

export interface ProbeFinding {
  item: string;
  value: string;
  ok: boolean;
  /** What to do about it, when there is something to do. */
  advice?: string;
}

export interface ProbeResult {
  findings: ProbeFinding[];
  canSend: boolean;
  canReceive: boolean;
  /** A `connectors:` entry for this modem, to paste into telenode.yaml. */
  configSnippet: string;
}

const REGISTRATION: Record<string, string> = {
  '0': 'not registered',
  '1': 'registered, home network',
  '2': 'searching',
  '3': 'registration denied',
  '4': 'unknown',
  '5': 'registered, roaming',
};
/** Every profile's vendor noise: before the manufacturer is known, any of it may come. */
const ALL_NOISE = [...new Set(Object.values(PROFILES).flatMap((p) => p.noise))];

export async function probeModem(path: string, options: { baudRate?: number; timeoutMs?: number; byIdDir?: string } = {}): Promise<ProbeResult> {
  const port = await openSerialPort(path, options.baudRate, { exclusive: true });
  const at = new AtChannel(port, options.timeoutMs ?? 3000);
  at.setNoise(ALL_NOISE);
  const findings: ProbeFinding[] = [];
  const lines = async (command: string): Promise<string[] | null> => (await at.send(command).catch(() => null))?.lines ?? null;
  const value = (reply: string[] | null) => (reply ?? []).join(' ').trim();
  let pinNeeded = false;
  let ownNumber = '';
  let profileName = 'generic';
  try {
    at.abortPrompt();
    const silence = await at.send('AT').then(
      () => null,
      (err: Error) => err.message,
    );
    findings.push(
      silence === null
        ? { item: 'responds to AT', value: 'yes', ok: true }
        : {
            item: 'responds to AT',
            value: silence,
            ok: false,
            advice: 'not an AT port: USB modems show several ttys, try the others (ls -l /dev/serial/by-id/)',
          },
    );
    if (silence !== null) return finish(findings, path, options.byIdDir, { pinNeeded, ownNumber, profileName });
    await at.send('ATE0').catch(() => undefined);
    await at.send('AT+CMEE=1').catch(() => undefined);
    const manufacturer = value(await lines('AT+CGMI'));
    const model = value(await lines('AT+CGMM'));
    findings.push(
      { item: 'manufacturer', value: manufacturer, ok: true },
      { item: 'model', value: model, ok: true },
      { item: 'IMEI', value: value(await lines('AT+CGSN')), ok: true },
    );
    const profile = detectProfile(manufacturer, model);
    profileName = profile.name;
    at.setNoise(profile.noise);

    const sim = await simFinding(at);
    pinNeeded = sim.pinNeeded;
    findings.push(sim.finding);
    findings.push(await registrationFinding(at));
    findings.push(signalFinding(value(await lines('AT+CSQ'))), smscFinding(value(await lines('AT+CSCA?'))));
    ownNumber = /\+CNUM:\s*[^,]*,\s*"([^"]+)"/.exec(value(await lines('AT+CNUM')))?.[1] ?? '';

    const pdu = await at.send('AT+CMGF=0').then(
      () => true,
      () => false,
    );
    const text = pdu
      ? false
      : await at.send('AT+CMGF=1').then(
          () => true,
          () => false,
        );
    // A device without PDU mode can still send in text mode, within its limits (text-mode.ts).
    findings.push({
      item: 'PDU mode',
      value: pdu ? 'supported' : text ? 'not supported: text mode only (one-part ASCII messages)' : 'neither PDU nor text mode',
      ok: pdu || text,
    });
    if (!sim.pinNeeded) findings.push(...(await receiveFindings(at, profile, pdu)));
    findings.push({ item: 'profile', value: profile.name, ok: true });
  } finally {
    at.close(new AppError(ErrorCode.MODEM_CLOSED, 'probe finished'));
    await closeSerialPort(port);
  }
  return finish(findings, path, options.byIdDir, { pinNeeded, ownNumber, profileName });
}

/** AT+CSQ (27.007 §8.5): rssi 0..31 is -113 + 2·rssi dBm; 99 is unknown. */
function signalFinding(csq: string): ProbeFinding {
  const rssi = Number(/\+CSQ:\s*(\d+)/.exec(csq)?.[1] ?? 99);
  if (rssi === 99) return { item: 'signal', value: 'unknown', ok: false, advice: 'check the antenna, or that the SIM is registered' };
  return {
    item: 'signal',
    value: `${-113 + 2 * rssi} dBm (rssi ${rssi})`,
    ok: rssi >= 5,
    ...(rssi < 5 ? { advice: 'too weak to send reliably: move the antenna or the modem' } : {}),
  };
}

/** AT+CSCA? (27.005 §3.3.1): the SMS centre the modem submits to. */
function smscFinding(csca: string): ProbeFinding {
  const smsc = /"([^"]*)"/.exec(csca)?.[1] ?? '';
  return smsc
    ? { item: 'SMSC', value: smsc, ok: true }
    : { item: 'SMSC', value: 'not set', ok: false, advice: 'set your operator\'s SMS centre: AT+CSCA="+<number>",145 (ask the operator)' };
}

async function simFinding(at: AtChannel): Promise<{ finding: ProbeFinding; pinNeeded: boolean }> {
  const cpin = (await at.send('AT+CPIN?').catch((err: Error) => ({ lines: [err.message] }))).lines.join(' ').replace('+CPIN: ', '').trim();
  if (/READY/.test(cpin)) return { finding: { item: 'SIM', value: 'READY', ok: true }, pinNeeded: false };
  const tries = /\+CPINR:\s*"?SIM PIN"?\s*,\s*(\d+)/.exec((await at.send('AT+CPINR="SIM PIN"').catch(() => ({ lines: [] as string[] }))).lines.join(' '))?.[1];
  const left = tries === undefined ? '' : ` (${tries} ${tries === '1' ? 'try' : 'tries'} left)`;
  if (/SIM PIN/.test(cpin)) {
    const advice =
      tries === '1'
        ? 'one try left: enter the PIN in a phone (telenode will not risk the last try), or switch the PIN off there'
        : 'put it in the connector as pin: "<PIN>" (telenode enters it once, only when asked, never on the last try), or switch the PIN off in a phone';
    return { finding: { item: 'SIM', value: `needs its PIN${left}`, ok: false, advice }, pinNeeded: true };
  }
  if (/SIM PUK/.test(cpin))
    return { finding: { item: 'SIM', value: 'PUK-locked', ok: false, advice: 'three wrong PINs: unlock it with its PUK in a phone' }, pinNeeded: true };
  return {
    finding: { item: 'SIM', value: cpin || 'no answer', ok: false, advice: 'no usable SIM: check that it is inserted and the right way round' },
    pinNeeded: false,
  };
}

/** CREG (circuit switched), CGREG (GPRS), CEREG (LTE): registered on any counts, as the daemon counts it. */
async function registrationFinding(at: AtChannel): Promise<ProbeFinding> {
  const seen: Array<{ domain: string; stat: string }> = [];
  for (const domain of ['CREG', 'CGREG', 'CEREG']) {
    const reply = await at.send(`AT+${domain}?`).catch(() => null);
    const stat = reply ? new RegExp(`\\+${domain}:\\s*\\d+\\s*,\\s*"?(\\d+)`).exec(reply.lines.join(' '))?.[1] : undefined;
    if (stat !== undefined) seen.push({ domain, stat });
  }
  const registered = seen.filter((s) => s.stat === '1' || s.stat === '5');
  if (registered.length > 0) {
    const best = registered[0]!;
    return { item: 'registration', value: `${REGISTRATION[best.stat]} (${registered.map((r) => r.domain).join(', ')})`, ok: true };
  }
  const first = seen[0];
  if (!first) return { item: 'registration', value: 'no answer to CREG, CGREG or CEREG', ok: false };
  const advice =
    first.stat === '3'
      ? 'the network refuses this SIM: is it activated, is roaming allowed?'
      : first.stat === '2'
        ? 'still searching: wait a minute and probe again, or check the antenna'
        : 'check the SIM, the antenna and coverage';
  return { item: 'registration', value: `${REGISTRATION[first.stat] ?? `stat ${first.stat}`} (${seen.map((s) => s.domain).join(', ')})`, ok: false, advice };
}

/** Can inbound messages and reports reach telenode: phase 2+, new-message indications, room in the storage. */
async function receiveFindings(at: AtChannel, profile: (typeof PROFILES)[keyof typeof PROFILES], pdu: boolean): Promise<ProbeFinding[]> {
  const findings: ProbeFinding[] = [];
  const phase2 =
    pdu &&
    (await at.send('AT+CSMS=1').then(
      () => true,
      () => false,
    ));
  if (phase2) await at.send('AT+CSMS=0').catch(() => undefined);
  findings.push({ item: 'phase 2+', value: phase2 ? 'yes: routed reports are acknowledged (AT+CNMA)' : 'no: reports are stored and read back', ok: true });
  const candidates = (phase2 && profile.cnmiWithAck) || profile.cnmi;
  let taken: string | null = null;
  for (const cnmi of candidates) {
    if (
      await at.send(`AT+CNMI=${cnmi}`).then(
        () => true,
        () => false,
      )
    ) {
      taken = cnmi;
      break;
    }
  }
  if (taken) {
    const routing = cnmiRouting(taken);
    const reports = Number(taken.split(',')[3]) === 0 ? 'no status reports' : routing.routesReports ? 'reports routed (+CDS)' : 'reports stored (+CDSI)';
    findings.push({ item: 'indications', value: `${taken}: inbound stored (+CMTI), ${reports}`, ok: true });
  } else {
    findings.push({
      item: 'indications',
      value: `refused ${candidates.join(' / ')}`,
      ok: false,
      advice: 'the modem announces nothing: telenode still finds messages by sweeping the storage (sweepSeconds)',
    });
  }
  const cpms = (await at.send('AT+CPMS?').catch(() => ({ lines: [] as string[] }))).lines.join(' ');
  const memories = [...cpms.matchAll(/"(\w+)",\s*(\d+),\s*(\d+)/g)].map((m) => ({ memory: m[1]!, used: Number(m[2]), total: Number(m[3]) }));
  const first = memories[0];
  if (first) {
    const full = first.total > 0 && first.used >= first.total;
    findings.push({
      item: 'storage',
      value: `${first.memory} ${first.used}/${first.total} used`,
      ok: !full,
      ...(full ? { advice: 'full: new messages and reports cannot be stored; telenode reads and deletes them once it runs' } : {}),
    });
  } else {
    findings.push({ item: 'storage', value: 'AT+CPMS? not answered', ok: true });
  }
  return findings;
}

function finish(
  findings: ProbeFinding[],
  path: string,
  byIdDir: string | undefined,
  found: { pinNeeded: boolean; ownNumber: string; profileName: string },
): ProbeResult {
  const receiving = new Set(['phase 2+', 'indications', 'storage']);
  const canSend = findings.filter((f) => !receiving.has(f.item)).every((f) => f.ok);
  const canReceive = canSend && findings.filter((f) => receiving.has(f.item)).every((f) => f.ok);
  return { findings, canSend, canReceive, configSnippet: configSnippet(stablePath(path, byIdDir), found) };
}

/** The /dev/serial/by-id name of a tty, which survives replugging (ttyUSB numbers do not). */
function stablePath(path: string, byIdDir = '/dev/serial/by-id'): string {
  try {
    const target = realpathSync(path);
    const name = readdirSync(byIdDir).find((entry) => realpathSync(join(byIdDir, entry)) === target);
    return name ? join(byIdDir, name) : path;
  } catch {
    return path;
  }
}

function configSnippet(port: string, found: { pinNeeded: boolean; ownNumber: string; profileName: string }): string {
  return [
    'connectors:',
    '  - id: gsm',
    '    type: modem',
    `    port: ${port}`,
    `    profile: ${found.profileName}`,
    ...(found.pinNeeded ? ['    pin: "0000"            # the SIM\'s PIN: entered once, never on its last try'] : []),
    `    ownNumber: "${found.ownNumber || "+<this SIM's number>"}"`,
    "    maxPerMinute: 10       # your SIM plan's fair-use rate",
    '    reportTimeoutMinutes: 60',
  ].join('\n');
}
