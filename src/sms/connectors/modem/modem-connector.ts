/**
 * GSM modems as a connector: one modem, or a pool of several that the
 * outbox, routing and receipts see as ONE connector (decision 0051). Each
 * part goes to the available modem that would send it soonest (its queue
 * and rate limit); a modem without network, signal or answer takes none,
 * so its share fails over to the others. All parts of a long message go
 * through the same modem while it is available: the handset joins parts by
 * originator and reference, and each SIM is a different originator. Carrier
 * ids carry the modem's id, so a status report only ever matches parts its
 * own modem sent.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../../../shared/log.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { Connector, ConnectorSink, ConnectorStatus, SubmitPart } from '../connector.js';
import { modemDevices, type ModemConnectorConfig } from './config.js';
import { ModemDevice } from './modem-device.js';
import { registerModemPool, type ModemCounters } from './modem-metrics.js';

export { modemCarrierId } from './modem-inbox.js';

/** Long messages remembered for keeping their parts on one modem. */
const STICKY_LIMIT = 10_000;

export interface ModemConnectorDeps {
  sink: ConnectorSink;
  log: Logger;
  registry?: Registry;
}

export class ModemConnector implements Connector {
  readonly kind = 'modem' as const;
  readonly concatMode = 'udh8' as const;
  readonly id: string;
  readonly devices: readonly ModemDevice[];
  private readonly sticky = new Map<string, ModemDevice>();
  private readonly counters: ModemCounters;
  private wasUp = false;
  private turn = 0;

  constructor(
    config: ModemConnectorConfig,
    private readonly deps: ModemConnectorDeps,
  ) {
    this.id = config.id;
    this.devices = modemDevices(config).map(
      (modem) =>
        new ModemDevice(modem, {
          connectorId: config.id,
          sink: deps.sink,
          log: deps.log.child({ modem: modem.id }),
          onAvailability: () => this.availabilityChanged(),
          onSendResult: (device, ok, retryable) => {
            if (ok) this.counters.sent.inc({ connector: this.id, modem: device.id });
            else this.counters.failed.inc({ connector: this.id, modem: device.id, retryable: String(retryable) });
          },
        }),
    );
    this.counters = registerModemPool(deps.registry, this);
  }

  async start(): Promise<void> {
    for (const device of this.devices) device.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.stop()));
  }

  isUp(): boolean {
    return this.devices.some((d) => d.isAvailable());
  }

  status(): ConnectorStatus {
    return {
      id: this.id,
      kind: this.kind,
      up: this.isUp(),
      binds: this.devices.map((d) => d.bindState()),
      queued: this.devices.reduce((n, d) => n + d.backlog, 0),
    };
  }

  async submit(part: SubmitPart): Promise<string> {
    const device = this.pick(part);
    if (part.partsTotal > 1) this.remember(part.messageId, device);
    return device.send(part);
  }

  private pick(part: SubmitPart): ModemDevice {
    const available = this.devices.filter((d) => d.isAvailable());
    const able = available.filter((d) => d.canCarry(part));
    if (able.length === 0) {
      // Every modem is up and in text mode, and this part needs PDU mode: no retry will help.
      if (available.length === this.devices.length && available.length > 0) {
        throw new AppError(ErrorCode.MODEM_NO_SUITABLE, 'every modem is in text mode, which cannot send this message (long, UCS-2 or non-ASCII)', {
          details: { messageId: part.messageId },
        });
      }
      throw new AppError(ErrorCode.CONNECTOR_DOWN, `no modem of ${this.id} can take a message now`, { retryable: true });
    }
    const stuck = this.sticky.get(part.messageId);
    if (stuck && able.includes(stuck)) return stuck;
    if (stuck)
      this.deps.log.warn(
        { messageId: part.messageId, from: stuck.id },
        'the modem that sent the first parts is unavailable: the rest goes out from another SIM and may not join on the handset',
      );
    // Least loaded; ties taken in turn so an idle pool spreads its messages.
    this.turn = (this.turn + 1) % able.length;
    let best = able[this.turn]!;
    for (const device of able) if (device.load() < best.load()) best = device;
    return best;
  }

  private remember(messageId: string, device: ModemDevice): void {
    this.sticky.delete(messageId);
    this.sticky.set(messageId, device);
    if (this.sticky.size > STICKY_LIMIT) this.sticky.delete(this.sticky.keys().next().value!);
  }

  private availabilityChanged(): void {
    const up = this.isUp();
    if (up === this.wasUp) return;
    this.wasUp = up;
    this.deps.sink.connectorStateChanged(this.id, up);
  }
}
