/**
 * `telenode modem-probe PORT`: what is on this serial port, and can it send
 * SMS? Identity, SIM, registration, signal, SMSC, PDU-mode support (or text
 * mode only) and the profile `auto` would pick — each line a finding, and a
 * verdict at the end.
 */
import { AtChannel } from '../sms/connectors/modem/at-channel.js';
import { closeSerialPort, openSerialPort } from '../sms/connectors/modem/serial.js';
import { detectProfile } from '../sms/connectors/modem/profiles.js';
import { AppError, ErrorCode } from '../shared/errors.js';

export interface ProbeFinding {
  item: string;
  value: string;
  ok: boolean;
}

export interface ProbeResult {
  findings: ProbeFinding[];
  canSend: boolean;
}

const REGISTRATION: Record<string, string> = { '0': 'not registered', '1': 'registered, home network', '2': 'searching', '3': 'registration denied', '5': 'registered, roaming' };

export async function probeModem(path: string, options: { baudRate?: number; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const port = await openSerialPort(path, options.baudRate);
  const at = new AtChannel(port, options.timeoutMs ?? 3000);
  const findings: ProbeFinding[] = [];
  const ask = async (item: string, command: string, judge: (lines: string[]) => { value: string; ok: boolean }) => {
    try {
      findings.push({ item, ...judge((await at.send(command)).lines) });
    } catch (err) {
      findings.push({ item, value: (err as Error).message, ok: false });
    }
  };
  try {
    at.abortPrompt();
    await ask('responds to AT', 'AT', () => ({ value: 'yes', ok: true }));
    if (!findings[0]!.ok) return { findings, canSend: false };
    await at.send('ATE0').catch(() => undefined);
    await at.send('AT+CMEE=1').catch(() => undefined);
    await ask('manufacturer', 'AT+CGMI', (l) => ({ value: l.join(' '), ok: true }));
    await ask('model', 'AT+CGMM', (l) => ({ value: l.join(' '), ok: true }));
    await ask('IMEI', 'AT+CGSN', (l) => ({ value: l.join(' '), ok: true }));
    await ask('SIM', 'AT+CPIN?', (l) => ({ value: l.join(' ').replace('+CPIN: ', ''), ok: /READY/.test(l.join(' ')) }));
    await ask('registration', 'AT+CREG?', (l) => {
      const stat = /\+CREG:\s*\d+,(\d+)/.exec(l.join(' '))?.[1] ?? '?';
      return { value: REGISTRATION[stat] ?? `stat ${stat}`, ok: stat === '1' || stat === '5' };
    });
    await ask('signal', 'AT+CSQ', (l) => {
      const rssi = Number(/\+CSQ:\s*(\d+)/.exec(l.join(' '))?.[1] ?? 99);
      return { value: rssi === 99 ? 'unknown' : `${-113 + 2 * rssi} dBm (rssi ${rssi})`, ok: rssi !== 99 && rssi >= 5 };
    });
    await ask('SMSC', 'AT+CSCA?', (l) => {
      const smsc = /"([^"]*)"/.exec(l.join(' '))?.[1] ?? '';
      return { value: smsc || 'not set', ok: smsc.length > 0 };
    });
    const pdu = await at.send('AT+CMGF=0').then(() => true, () => false);
    const text = pdu ? false : await at.send('AT+CMGF=1').then(() => true, () => false);
    // A device without PDU mode can still send in text mode, within its limits (text-mode.ts).
    findings.push({ item: 'PDU mode', value: pdu ? 'supported' : text ? 'not supported: text mode only (one-part ASCII messages)' : 'neither PDU nor text mode', ok: pdu || text });
    const identity = Object.fromEntries(findings.map((f) => [f.item, f.value]));
    findings.push({ item: 'profile', value: detectProfile(identity['manufacturer'] ?? '', identity['model'] ?? '').name, ok: true });
  } finally {
    at.close(new AppError(ErrorCode.MODEM_CLOSED, 'probe finished'));
    await closeSerialPort(port);
  }
  return { findings, canSend: findings.every((f) => f.ok) };
}
