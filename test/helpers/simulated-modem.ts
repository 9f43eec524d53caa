/**
 * `telenode modem-sim`'s simulator on a socat pty pair, as the daemon's
 * modem tests use it: `path` is what a modem connector opens. `unplug()`
 * pulls the "USB modem" out (both pty ends hang up); `replug()` plugs a
 * fresh simulator in at the same path, sharing the network log so messages
 * are counted across both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SerialPort } from 'serialport';
import { closeSerialPort, openSerialPort } from '../../src/sms/connectors/modem/serial.js';
import { ModemSimulator, type ModemSimulatorOptions } from '../../src/tools/modem-sim.js';
import { openPtyPair, type PtyPair } from './pty-pair.js';

export class SimulatedModem {
  private constructor(
    private pair: PtyPair,
    private port: SerialPort,
    public sim: ModemSimulator,
    private readonly dir: string,
    private readonly options: ModemSimulatorOptions,
  ) {}

  static async open(options: ModemSimulatorOptions = {}): Promise<SimulatedModem> {
    // Every pair of this modem lives in one directory, so the port path stays the same.
    const dir = mkdtempSync(join(tmpdir(), 'telenode-modem-'));
    const pair = await openPtyPair({ dir });
    const port = await openSerialPort(pair.modemPath);
    return new SimulatedModem(pair, port, new ModemSimulator(port, options), dir, options);
  }

  get path(): string {
    return this.pair.appPath;
  }

  async unplug(): Promise<void> {
    this.sim.stop();
    await this.pair.close().catch(() => undefined);
    await closeSerialPort(this.port).catch(() => undefined);
  }

  /** Plug a fresh simulator in (its settings lost, as after a restart), optionally in another state (say, still searching for the network). */
  async replug(overrides: ModemSimulatorOptions = {}): Promise<void> {
    this.pair = await openPtyPair({ dir: this.dir });
    this.port = await openSerialPort(this.pair.modemPath);
    this.sim = new ModemSimulator(this.port, { ...this.options, ...overrides, network: this.sim.network });
  }

  async close(): Promise<void> {
    await this.unplug();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
