/**
 * Every message reaches a final status, even when its delivery report never
 * comes (a modem's report storage full, a USB drop, a dead SIM in a pool, an
 * SMSC that drops receipts). A message a connector submitted and that is still
 * waiting for its report `reportTimeoutMinutes` later becomes `unknown`: the
 * client is told (its dialect's word for it), nothing is retried, and a report
 * that still comes corrects it (message.ts lets `unknown` move on).
 */
import { Counter, type Registry } from 'prom-client';
import type { Committer } from '../store/sql.js';
import type { MessageRepo } from '../store/message-repo.js';
import type { Logger } from '../shared/log.js';
import { ErrorCode } from '../shared/errors.js';
import { MessageStatus } from './message.js';
import { PeriodicSweep } from '../shared/periodic-sweep.js';
import type { StatusWriter } from './status-writer.js';

export interface ReportTimeoutDeps {
  repo: MessageRepo;
  committer: Committer;
  statusWriter: StatusWriter;
  log: Logger;
  /** Report timeout per connector id, in ms; connectors not named have none. */
  timeouts: ReadonlyMap<string, number>;
  registry?: Registry;
  afterCommit?: () => void;
  now?: () => number;
  intervalMs?: number;
}

export class ReportTimeoutWatcher {
  private readonly now: () => number;
  private readonly timedOut: Counter<'connector'>;
  private readonly periodic: PeriodicSweep;

  constructor(private readonly deps: ReportTimeoutDeps) {
    this.now = deps.now ?? Date.now;
    this.timedOut = new Counter({
      name: 'telenode_sms_report_timeouts_total',
      help: "Messages that got no delivery report within their connector's reportTimeoutMinutes and became unknown",
      labelNames: ['connector'],
      registers: deps.registry ? [deps.registry] : [],
    });
    this.periodic = new PeriodicSweep('report timeout sweep', () => this.markOverdue(), deps.log);
  }

  start(): void {
    if (this.deps.timeouts.size === 0) return;
    // A quarter of the shortest timeout, between 250 ms and 10 s: precise enough, and idle sweeps cost one read.
    this.periodic.start(this.deps.intervalMs ?? Math.min(10_000, Math.max(250, Math.min(...this.deps.timeouts.values()) / 4)));
  }

  stop(): void {
    this.periodic.stop();
  }

  /** Mark the messages whose report is overdue; resolves with how many changed. */
  sweep(): Promise<number> {
    return this.periodic.runOnce();
  }

  private async markOverdue(): Promise<number> {
    let total = 0;
    for (const [connectorId, timeoutMs] of this.deps.timeouts) {
      // A read first: most sweeps find nothing, and then no transaction is opened.
      if ((await this.deps.repo.listAwaitingReport(connectorId, this.now() - timeoutMs)).length === 0) continue;
      const changed = await this.deps.committer.run(async () => {
        const now = this.now();
        let count = 0;
        for (const message of await this.deps.repo.listAwaitingReport(connectorId, now - timeoutMs)) {
          const why = { errorCode: ErrorCode.REPORT_TIMEOUT, errorText: `no delivery report within ${Math.round(timeoutMs / 60_000)} min` };
          if (await this.deps.statusWriter.finish(message, MessageStatus.Unknown, why, now)) count++;
        }
        return count;
      });
      if (changed > 0) {
        this.timedOut.inc({ connector: connectorId }, changed);
        this.deps.log.warn(
          { connectorId, messages: changed, timeoutMinutes: timeoutMs / 60_000 },
          'no delivery report in time: messages marked unknown (a late report still corrects them)',
        );
      }
      total += changed;
    }
    if (total > 0) this.deps.afterCommit?.();
    return total;
  }
}
