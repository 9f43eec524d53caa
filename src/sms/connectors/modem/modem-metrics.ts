/**
 * Per-modem state in /metrics, labelled by connector and modem: signal,
 * registration, readiness, queue, and counters of sent and failed parts.
 * Several connectors share one registry and a metric name may be registered
 * only once, so the metrics are made once per registry and the gauges read
 * every pool when scraped.
 */
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import type { ModemDevice } from './modem-device.js';

export interface ModemPoolView {
  readonly id: string;
  readonly devices: readonly ModemDevice[];
}

export interface ModemCounters {
  sent: Counter<'connector' | 'modem'>;
  failed: Counter<'connector' | 'modem' | 'retryable'>;
}

const perRegistry = new WeakMap<Registry, { pools: Set<ModemPoolView>; counters: ModemCounters }>();

export function registerModemPool(registry: Registry | undefined, pool: ModemPoolView): ModemCounters {
  if (!registry) {
    return {
      sent: new Counter({ name: 'telenode_modem_sent_total', help: 'unregistered', labelNames: ['connector', 'modem'], registers: [] }),
      failed: new Counter({ name: 'telenode_modem_send_failures_total', help: 'unregistered', labelNames: ['connector', 'modem', 'retryable'], registers: [] }),
    };
  }
  let entry = perRegistry.get(registry);
  if (!entry) {
    entry = { pools: new Set(), counters: makeMetrics(registry, () => entry!.pools) };
    perRegistry.set(registry, entry);
  }
  entry.pools.add(pool);
  return entry.counters;
}

function makeMetrics(registry: Registry, pools: () => Set<ModemPoolView>): ModemCounters {
  const registers = [registry];
  const labelNames = ['connector', 'modem'] as const;
  const each = (read: (device: ModemDevice) => number) =>
    function (this: Gauge<'connector' | 'modem'>) {
      this.reset();
      for (const pool of pools()) for (const device of pool.devices) this.set({ connector: pool.id, modem: device.id }, read(device));
    };
  new Gauge({
    name: 'telenode_modem_up',
    help: '1 when the modem is initialised, registered and takes messages',
    labelNames,
    registers,
    collect: each((d) => (d.isAvailable() ? 1 : 0)),
  });
  new Gauge({
    name: 'telenode_modem_signal_rssi',
    help: 'AT+CSQ rssi: 0..31 (-113 + 2·rssi dBm), 99 unknown, -1 not read',
    labelNames,
    registers,
    collect: each((d) => d.radio.signal),
  });
  new Gauge({
    name: 'telenode_modem_registered',
    help: '1 when registered on a network (home or roaming)',
    labelNames,
    registers,
    collect: each((d) => (d.radio.registration === 1 || d.radio.registration === 5 ? 1 : 0)),
  });
  new Gauge({
    name: 'telenode_modem_registration_stat',
    help: 'CREG/CEREG stat: 1 home, 5 roaming, 2 searching, 3 denied, 0/4 not registered',
    labelNames,
    registers,
    collect: each((d) => d.radio.registration),
  });
  new Gauge({ name: 'telenode_modem_queue', help: 'Parts handed to the modem and not yet answered', labelNames, registers, collect: each((d) => d.backlog) });
  new Gauge({
    name: 'telenode_modem_info',
    help: 'Always 1; the labels say which operator, profile and message mode the modem has',
    labelNames: ['connector', 'modem', 'operator', 'profile', 'mode'],
    registers,
    collect() {
      this.reset();
      for (const pool of pools()) {
        for (const device of pool.devices) {
          const state = device.bindState();
          this.set({ connector: pool.id, modem: device.id, operator: state.operator ?? '', profile: state.profile ?? '', mode: state.messageMode ?? '' }, 1);
        }
      }
    },
  });
  return {
    sent: new Counter({ name: 'telenode_modem_sent_total', help: 'Parts the modem sent (+CMGS answered)', labelNames, registers }),
    failed: new Counter({
      name: 'telenode_modem_send_failures_total',
      help: 'Parts the modem did not send',
      labelNames: ['connector', 'modem', 'retryable'],
      registers,
    }),
  };
}
