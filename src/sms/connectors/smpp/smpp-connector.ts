/**
 * The SMPP 3.4 ESME connector: one carrier account, several binds. Parts
 * wait in one queue and go to the bound session with the most free window
 * that its pacer allows (carrier-pacer.ts: even spacing, slower while the
 * carrier throttles). A throttled part goes back to the head of the queue;
 * every other error goes back to the outbox with its retryable flag.
 */
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from '../../../shared/log.js';
import { AppError, ErrorCode, isAppError } from '../../../shared/errors.js';
import { buildConcatUdh } from '../../encoding/index.js';
import type { Connector, ConnectorSink, ConnectorStatus, SubmitPart } from '../connector.js';
import { BindState, SmppBind, type BindRole } from './bind.js';
import type { SmppConnectorConfig } from './config.js';
import { classifyIncoming } from './incoming.js';
import { smppAddress } from './addressing.js';
import type { Pdu } from './smpp-lib.js';
import type { ThrottleEpisode, ThrottleOutcome } from './carrier-pacer.js';

interface QueuedPart {
  part: SubmitPart;
  resolve: (carrierId: string) => void;
  reject: (err: AppError) => void;
}

export interface SmppConnectorDeps {
  sink: ConnectorSink;
  log: Logger;
  registry?: Registry;
  /**
   * Several nodes share the carrier's binds (PostgreSQL clusters): start() opens none; holdSlots() says which
   * of the connector's binds this node runs.
   */
  sharedBinds?: boolean;
}

/**
 * Answers a connector may have waiting for their commit before it stops sending (submit-pipeline.ts), at least: a
 * commit is shared for up to 10 ms (decision 0108), so at a few thousand messages a second a window of 10 would be
 * outrun by the commit cadence itself (measured: 0.42× the messages a second). 256 is ~60 ms of commit at 4,000 a
 * second; past it the disk, not the cadence, is behind.
 */
const UNCOMMITTED_ANSWERS_MIN = 256;

export class SmppConnector implements Connector {
  readonly kind = 'smpp' as const;
  readonly id: string;
  readonly concatMode: SmppConnectorConfig['concat'];
  /** Its windows on the wire, and as many answers not yet committed (at least UNCOMMITTED_ANSWERS_MIN). */
  readonly pipelineLimit: number;
  private readonly binds: SmppBind[] = [];
  /** Indexes of the binds running on this node (all of them, unless the binds are shared). */
  private readonly running = new Set<number>();
  private queue: QueuedPart[] = [];
  private wakeTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private wasUp = false;
  private readonly metrics;

  constructor(
    private readonly config: SmppConnectorConfig,
    private readonly deps: SmppConnectorDeps,
  ) {
    this.id = config.id;
    this.pipelineLimit = config.window * config.binds + Math.max(config.window * config.binds, UNCOMMITTED_ANSWERS_MIN);
    this.concatMode = config.concat;
    const roles: BindRole[] =
      config.bindMode === 'transceiver' ? Array(config.binds).fill('transceiver') : [...Array(config.binds).fill('transmitter'), 'receiver'];
    const events = {
      onIncoming: (pdu: Pdu) => this.onIncoming(pdu),
      onStateChange: (bind: SmppBind, state: BindState) => this.onStateChange(bind, state),
      onReady: () => this.drain(),
      onThrottled: (bind: SmppBind, outcome: ThrottleOutcome) => this.onThrottled(bind, outcome),
      onThrottleEnded: (bind: SmppBind, episode: ThrottleEpisode) => {
        this.deps.log.info(
          {
            bind: bind.name,
            seconds: Math.round((episode.lastThrottleAt - episode.startedAt) / 1000),
            throttledAnswers: episode.throttles,
            mps: roundRate(bind.pacer.rate),
          },
          'carrier throttling over',
        );
      },
    };
    roles.forEach((role, i) => this.binds.push(new SmppBind(`${config.id}#${i + 1}`, role, config, events, deps.log)));
    this.metrics = {
      submits: counterFor(deps.registry, 'telenode_smpp_submit_total', 'submit_sm answered, by result', ['connector', 'result']),
      throttled: counterFor(deps.registry, 'telenode_smpp_throttled_total', 'submit_sm answered with ESME_RTHROTTLED or ESME_RMSGQFUL', ['connector']),
      throttleEpisodes: counterFor(
        deps.registry,
        'telenode_smpp_throttle_episodes_total',
        'times the carrier began throttling (ends after ten quiet seconds)',
        ['connector'],
      ),
    };
    if (deps.registry) connectorsOf(deps.registry).add(this);
  }

  /** Bind states and window use, read when /metrics is scraped. */
  collect(bindUp: Gauge, windowInUse: Gauge, sendRate: Gauge): void {
    for (const bind of this.binds) {
      bindUp.set({ connector: this.id, bind: bind.name }, bind.state === BindState.Bound ? 1 : 0);
      if (bind.role !== 'receiver') sendRate.set({ connector: this.id, bind: bind.name }, Number.isFinite(bind.pacer.rate) ? bind.pacer.rate : -1);
    }
    windowInUse.set(
      { connector: this.id },
      this.binds.reduce((n, b) => n + b.windowInUse, 0),
    );
  }

  async start(): Promise<void> {
    if (this.deps.sharedBinds) return;
    this.binds.forEach((bind, i) => {
      this.running.add(i);
      bind.start();
    });
  }

  /** How many binds the connector has for the whole cluster (its bind slots). */
  get slotCount(): number {
    return this.binds.length;
  }

  /** Run exactly the binds of these slots (1-based) here: bind the new ones, unbind the ones handed back. */
  async holdSlots(slots: ReadonlySet<number>): Promise<void> {
    if (this.stopping) return;
    const stopping: Array<Promise<void>> = [];
    this.binds.forEach((bind, i) => {
      const held = slots.has(i + 1);
      if (held && !this.running.has(i)) {
        this.running.add(i);
        bind.start();
      } else if (!held && this.running.has(i)) {
        this.running.delete(i);
        stopping.push(bind.stop());
      }
    });
    await Promise.all(stopping);
  }

  /**
   * Hand bind `slot` (1-based) to another node of the cluster: it takes no new submits and unbinds once the carrier
   * has answered those on the wire (at most `drainMs`), so none is sent twice. The node holds the slot until then.
   */
  async handOverSlot(slot: number, drainMs = 10_000): Promise<void> {
    const i = slot - 1;
    if (!this.running.has(i)) return;
    this.running.delete(i);
    await this.binds[i]!.finishAndStop(drainMs);
  }

  async stop(drainMs = 10_000): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + drainMs;
    while (Date.now() < deadline && this.binds.some((b) => b.windowInUse > 0) && this.binds.some((b) => b.canSubmit)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    const queued = this.queue;
    this.queue = [];
    for (const q of queued) q.reject(new AppError(ErrorCode.CONNECTOR_STOPPED, 'connector stopped before the part was sent', { retryable: true }));
    await Promise.all(this.binds.map((b) => b.stop()));
  }

  isUp(): boolean {
    return this.binds.some((b) => b.canSubmit);
  }

  submit(part: SubmitPart): Promise<string> {
    if (this.stopping) return Promise.reject(new AppError(ErrorCode.CONNECTOR_STOPPED, 'connector is stopping', { retryable: true }));
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ part, resolve, reject });
      this.drain();
    });
  }

  status(): ConnectorStatus {
    return {
      id: this.id,
      kind: this.kind,
      up: this.isUp(),
      binds: this.binds.map((b) => ({
        name: b.name,
        role: b.role,
        state: b.state,
        since: b.stateSince,
        windowInUse: b.windowInUse,
        windowSize: this.config.window,
        throttled: b.pacer.episode !== null,
        rate: Number.isFinite(b.pacer.rate) ? b.pacer.rate : null,
      })),
      queued: this.queue.length,
    };
  }

  /** Send queued parts while some bind can take one; otherwise wake up when one can. */
  private drain(): void {
    if (this.queue.length === 0) return;
    const now = Date.now();
    let head = 0;
    while (head < this.queue.length) {
      let best: SmppBind | null = null;
      let soonest = Infinity;
      for (const bind of this.binds) {
        const wait = bind.waitMs(now);
        if (wait === 0 && (!best || bind.freeWindow > best.freeWindow)) best = bind;
        else if (wait < soonest) soonest = wait;
      }
      if (!best) {
        if (soonest !== Infinity) this.wakeIn(soonest);
        break;
      }
      this.send(best, this.queue[head++]!);
    }
    this.queue = head === this.queue.length ? [] : this.queue.slice(head);
  }

  private wakeIn(ms: number): void {
    if (this.wakeTimer) return;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null;
        this.drain();
      },
      Math.max(1, Math.ceil(ms)),
    );
  }

  private send(bind: SmppBind, queued: QueuedPart): void {
    bind
      .submit(this.submitFields(queued.part))
      .then((carrierId) => {
        this.metrics.submits.inc({ connector: this.id, result: 'ok' });
        queued.resolve(carrierId);
      })
      .catch((err: unknown) => {
        const error = isAppError(err) ? err : new AppError(ErrorCode.SMPP_PROTOCOL, String(err), { retryable: true });
        if (error.code === ErrorCode.SMPP_THROTTLED) {
          // The bind's pacer has slowed down (once per window of refusals); the part goes first again.
          this.metrics.throttled.inc({ connector: this.id });
          this.queue.unshift(queued);
          this.drain();
          return;
        }
        this.metrics.submits.inc({ connector: this.id, result: error.retryable ? 'retryable_error' : 'rejected' });
        queued.reject(error);
      });
  }

  private onThrottled(bind: SmppBind, outcome: ThrottleOutcome): void {
    if (outcome.kind === 'started') {
      this.metrics.throttleEpisodes.inc({ connector: this.id });
      this.deps.log.warn({ bind: bind.name, mps: roundRate(outcome.rate) }, 'carrier is throttling: sending slower until it accepts again');
    }
  }

  private submitFields(part: SubmitPart): Record<string, unknown> {
    const { addressing } = this.config;
    const source = smppAddress(part.sender, addressing.sourceTon, addressing.sourceNpi);
    const dest = smppAddress(part.recipient, addressing.destTon, addressing.destNpi);
    const fields: Record<string, unknown> = {
      source_addr_ton: source.ton,
      source_addr_npi: source.npi,
      source_addr: source.addr,
      dest_addr_ton: dest.ton,
      dest_addr_npi: dest.npi,
      destination_addr: dest.addr,
      esm_class: 0,
      registered_delivery: part.wantReceipt && this.config.registeredDelivery ? 1 : 0,
      data_coding: part.dataCoding,
    };
    if (part.validUntil !== null) fields['validity_period'] = new Date(part.validUntil);
    const concat = part.concat;
    switch (this.concatMode) {
      case 'payload':
        fields['short_message'] = Buffer.alloc(0);
        fields['message_payload'] = part.payload;
        break;
      case 'sar':
        fields['short_message'] = part.payload;
        if (concat) {
          fields['sar_msg_ref_num'] = concat.reference & 0xffff;
          fields['sar_total_segments'] = concat.total;
          fields['sar_segment_seqnum'] = concat.seq;
        }
        break;
      default:
        if (concat) {
          // UDHI (SMPP 3.4 §5.2.12) + concatenation header (3GPP TS 23.040 §9.2.3.24.1/.8).
          fields['esm_class'] = 0x40;
          fields['short_message'] = Buffer.concat([buildConcatUdh(concat.reference, concat.total, concat.seq, this.concatMode === 'udh16'), part.payload]);
        } else {
          fields['short_message'] = part.payload;
        }
    }
    return fields;
  }

  private async onIncoming(pdu: Pdu): Promise<number> {
    const incoming = classifyIncoming(this.id, pdu, Date.now());
    if (incoming.kind === 'receipt') {
      await this.deps.sink.receipt(incoming.event);
      return 0;
    }
    if (incoming.kind === 'inbound') {
      await this.deps.sink.inbound(incoming.fragment);
      return 0;
    }
    this.deps.log.warn({ reason: incoming.reason, command: pdu.command }, 'unusable PDU from the SMSC refused');
    // ESME_RX_P_APPN (SMPP 3.4 §5.1.3): permanent — sending this PDU again cannot make it usable.
    return 0x65;
  }

  private onStateChange(bind: SmppBind, state: BindState): void {
    this.deps.log.debug({ bind: bind.name, state }, 'bind state');
    const up = this.isUp();
    if (up !== this.wasUp) {
      this.wasUp = up;
      this.deps.sink.connectorStateChanged(this.id, up);
    }
    if (state === BindState.Bound) this.drain();
  }
}

/**
 * Several connectors share one registry, and a metric name may be registered
 * only once: the gauges are made once per registry and read every connector.
 */
const connectorSets = new WeakMap<Registry, Set<SmppConnector>>();

function connectorsOf(registry: Registry): Set<SmppConnector> {
  let set = connectorSets.get(registry);
  if (!set) {
    const connectors = new Set<SmppConnector>();
    set = connectors;
    connectorSets.set(registry, connectors);
    const bindUp = new Gauge({
      name: 'telenode_smpp_bind_up',
      help: '1 when the SMPP bind is bound',
      labelNames: ['connector', 'bind'],
      registers: [registry],
    });
    const sendRate = new Gauge({
      name: 'telenode_smpp_send_rate',
      help: 'messages per second the bind may send now (mps, or slower while the carrier throttles); -1: no limit',
      labelNames: ['connector', 'bind'],
      registers: [registry],
    });
    new Gauge({
      name: 'telenode_smpp_window_in_use',
      help: 'submit_sm awaiting submit_sm_resp',
      labelNames: ['connector'],
      registers: [registry],
      collect() {
        for (const connector of connectors) connector.collect(bindUp, this, sendRate);
      },
    });
  }
  return set;
}

function counterFor<L extends string>(registry: Registry | undefined, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry?.getSingleMetric(name) as Counter<L> | undefined;
  return existing ?? new Counter({ name, help, labelNames, registers: registry ? [registry] : [] });
}

function roundRate(rate: number): number | 'unlimited' {
  return Number.isFinite(rate) ? Math.round(rate * 10) / 10 : 'unlimited';
}
