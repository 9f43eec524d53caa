/**
 * `modem-probe` against the modem simulator on a pty pair: a good modem, one without network or signal,
 * a SIM that wants its PIN, a noisy Huawei, and a port a running daemon holds.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  cleanups.push(
    () => pair.close(),
    () => closeSerialPort(port),
    () => sim.stop(),
  );
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
      registration: 'registered, home network (CREG, CGREG, CEREG)',
      signal: '-71 dBm (rssi 21)',
      SMSC: '+36209300099',
      'PDU mode': 'supported',
      'phase 2+': 'yes: routed reports are acknowledged (AT+CNMA)',
      indications: '2,1,0,1,0: inbound stored (+CMTI), reports routed (+CDS)',
      storage: 'SM 0/30 used',
      profile: 'generic',
    });
    expect(result.canReceive).toBe(true);
  });

  it('prints a connector to paste, with the stable /dev/serial/by-id name of the port', async () => {
    const path = await simulated();
    const byId = mkdtempSync(join(tmpdir(), 'telenode-by-id-'));
    cleanups.push(() => rmSync(byId, { recursive: true, force: true }));
    symlinkSync(path, join(byId, 'usb-telenode_modem-sim-if00-port0'));
    const result = await probeModem(path, { byIdDir: byId });
    expect(result.configSnippet).toContain(`port: ${join(byId, 'usb-telenode_modem-sim-if00-port0')}`);
    expect(result.configSnippet).toContain('type: modem');
    expect(result.configSnippet).toContain('profile: generic');
    expect(result.configSnippet).not.toContain('pin:');
  });

  it('says what to do about a SIM that wants its PIN, and puts pin: in the snippet', async () => {
    const result = await probeModem(await simulated({ pin: '1234', pinTries: 2 }));
    expect(result.canSend).toBe(false);
    const sim = result.findings.find((f) => f.item === 'SIM')!;
    expect(sim).toMatchObject({ value: 'needs its PIN (2 tries left)', ok: false });
    expect(sim.advice).toContain('pin:');
    expect(result.configSnippet).toContain('pin:');
    const lastTry = await probeModem(await simulated({ pin: '1234', pinTries: 1 }));
    expect(lastTry.findings.find((f) => f.item === 'SIM')!.advice).toMatch(/one try left: enter the PIN in a phone/);
  });

  it("keeps a Huawei stick's ^RSSI noise out of the values it prints", async () => {
    const result = await probeModem(await simulated({ vendor: 'huawei' }));
    const values = Object.fromEntries(result.findings.map((f) => [f.item, f.value]));
    expect(values).toMatchObject({ manufacturer: 'huawei', model: 'E3372', profile: 'huawei' });
    expect(result.findings.every((f) => !f.value.includes('^'))).toBe(true);
  });

  it('refuses a port that a running daemon holds, instead of talking AT across it', async () => {
    const path = await simulated();
    const held = await openSerialPort(path, 115200, { exclusive: true });
    cleanups.push(() => closeSerialPort(held));
    await expect(probeModem(path)).rejects.toMatchObject({ code: 'TN_ERR_MODEM_PORT_IN_USE' });
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
    expect(failed).toEqual(['registration: registration denied (CREG, CGREG, CEREG)', 'signal: unknown']);
    expect(result.findings.find((f) => f.item === 'registration')!.advice).toMatch(/refuses this SIM/);
  });
});
