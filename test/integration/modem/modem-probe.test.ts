/** `modem-probe` against the modem simulator on a pty pair: a good modem, and one without network or signal. */
import { afterEach, describe, expect, it } from 'vitest';
import { closeSerialPort, openSerialPort } from '../../../src/sms/connectors/modem/serial.js';
import { probeModem } from '../../../src/tools/modem-probe.js';
import { ModemSimulator, type ModemSimulatorOptions } from '../../../src/tools/modem-sim.js';
import { openPtyPair } from '../../helpers/pty-pair.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function simulated(options: ModemSimulatorOptions = {}): Promise<string> {
  const pair = await openPtyPair();
  const port = await openSerialPort(pair.modemPath);
  const sim = new ModemSimulator(port, options);
  cleanups.push(() => pair.close(), () => closeSerialPort(port), () => sim.stop());
  return pair.appPath;
}

describe('modem-probe', () => {
  it('reports identity, SIM, network, signal, SMSC and PDU mode of a modem that can send', async () => {
    const result = await probeModem(await simulated());
    expect(result.canSend).toBe(true);
    expect(Object.fromEntries(result.findings.map((f) => [f.item, f.value]))).toMatchObject({
      manufacturer: 'telenode',
      model: 'modem-sim',
      SIM: 'READY',
      registration: 'registered, home network',
      signal: '-71 dBm (rssi 21)',
      SMSC: '+36209300099',
      'PDU mode': 'supported',
      profile: 'generic',
    });
  });

  it('finds the profile of a Quectel modem, and sees that a text-only device can still send', async () => {
    const quectel = await probeModem(await simulated({ vendor: 'quectel' }));
    expect(quectel.findings.find((f) => f.item === 'profile')!.value).toBe('quectel');
    const textOnly = await probeModem(await simulated({ pduMode: false }));
    expect(textOnly.canSend).toBe(true);
    expect(textOnly.findings.find((f) => f.item === 'PDU mode')!.value).toBe('not supported: text mode only (one-part ASCII messages)');
  });

  it('says why a modem cannot send', async () => {
    const result = await probeModem(await simulated({ registration: 3, signal: 99 }));
    expect(result.canSend).toBe(false);
    const failed = result.findings.filter((f) => !f.ok).map((f) => `${f.item}: ${f.value}`);
    expect(failed).toEqual(['registration: registration denied', 'signal: unknown']);
  });
});
