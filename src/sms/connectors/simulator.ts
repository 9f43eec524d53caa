/**
 * The in-process simulator connector: the embedded default, so the API works
 * on a fresh machine before any carrier is configured. Nothing leaves the
 * machine. It answers every part with an id and, when a receipt was asked
 * for, sends a DELIVRD (or, at `failureRate`, UNDELIV) receipt after
 * `receiptDelayMs` through the same sink path as a real SMPP receipt.
 */
import type { SimulatorConnectorConfig } from '../../config/schema.js';
import type { Logger } from '../../shared/log.js';
import { MessageStatus } from '../message.js';
import type { Connector, ConnectorSink, ConnectorStatus, SubmitPart } from './connector.js';

export class SimulatorConnector implements Connector {
  readonly kind = 'simulator' as const;
  readonly concatMode = 'udh8' as const;
  readonly id: string;
  private nextId = 1;
  private running = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly config: SimulatorConnectorConfig,
    private readonly sink: ConnectorSink,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.id = config.id;
  }

  async start(): Promise<void> {
    this.running = true;
    this.sink.connectorStateChanged(this.id, true);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  isUp(): boolean {
    return this.running;
  }

  async submit(part: SubmitPart): Promise<string> {
    const carrierId = (this.nextId++).toString(16);
    if (part.wantReceipt) {
      const failed = this.random() < this.config.failureRate;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const now = Date.now();
        this.sink
          .receipt({
            connectorId: this.id,
            carrierId,
            status: failed ? MessageStatus.Failed : MessageStatus.Delivered,
            stat: failed ? 'UNDELIV' : 'DELIVRD',
            err: failed ? '001' : '000',
            submitDate: now,
            doneDate: now,
            text: null,
          })
          .catch((err: unknown) => this.log.error({ err, connectorId: this.id }, 'simulated receipt was not stored'));
      }, this.config.receiptDelayMs);
      this.timers.add(timer);
    }
    return carrierId;
  }

  status(): ConnectorStatus {
    return { id: this.id, kind: this.kind, up: this.running, binds: [], queued: 0 };
  }
}
