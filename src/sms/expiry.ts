/**
 * Message deadlines: a message accepted with `expiresAt` (IOVOX `<expiry>`
 * minutes) that is not delivered by then becomes `expired`, whatever the
 * carrier still does. The carrier gets the same deadline as its validity
 * period; this watcher is what makes it hold when the carrier never answers
 * (no receipt, a connector that is down, a simulator). A receipt arriving
 * after that is ignored by the state machine: expired is final. IOVOX says
 * as much: "the SMS may still be delivered by the operator after expiry".
 */
import type { Committer } from '../store/sql.js';
import type { MessageRepo } from '../store/message-repo.js';
import type { Logger } from '../shared/log.js';
import { ErrorCode } from '../shared/errors.js';
import { MessageStatus } from './message.js';
import { PeriodicSweep } from '../shared/periodic-sweep.js';
import type { StatusWriter } from './status-writer.js';

export interface ExpiryWatcherDeps {
  repo: MessageRepo;
  committer: Committer;
  statusWriter: StatusWriter;
  log: Logger;
  afterCommit?: () => void;
  now?: () => number;
  /** How often deadlines are checked; expiry is given in minutes, so a second is precise enough. */
  intervalMs?: number;
}

export class ExpiryWatcher {
  private readonly now: () => number;
  private readonly periodic: PeriodicSweep;

  constructor(private readonly deps: ExpiryWatcherDeps) {
    this.now = deps.now ?? Date.now;
    this.periodic = new PeriodicSweep('expiry sweep', () => this.expireDue(), deps.log);
  }

  start(): void {
    this.periodic.start(this.deps.intervalMs ?? 1000);
  }

  stop(): void {
    this.periodic.stop();
  }

  /** Expire every unfinished message past its deadline; resolves with how many changed. */
  sweep(): Promise<number> {
    return this.periodic.runOnce();
  }

  private async expireDue(): Promise<number> {
    // A read first: most seconds nothing is due, and then no transaction is opened at all.
    if ((await this.deps.repo.listPastDeadline(this.now())).length === 0) return 0;
    const expired = await this.deps.committer.run(async () => {
      const now = this.now();
      let changed = 0;
      for (const message of await this.deps.repo.listPastDeadline(now)) {
        const ok = await this.deps.statusWriter.finish(
          message,
          MessageStatus.Expired,
          { errorCode: ErrorCode.MESSAGE_EXPIRED, errorText: 'not delivered before its expiry' },
          now,
        );
        if (ok) changed++;
      }
      return changed;
    });
    if (expired > 0) {
      this.deps.log.info({ expired }, 'messages expired: not delivered before their deadline');
      this.deps.afterCommit?.();
    }
    return expired;
  }
}
