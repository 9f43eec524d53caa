/**
 * Message deadlines: a message accepted with `expiresAt` (IOVOX `<expiry>`
 * minutes) that is not delivered by then becomes `expired`, whatever the
 * carrier still does. The carrier gets the same deadline as its validity
 * period; this watcher is what makes it hold when the carrier never answers
 * (no receipt, a connector that is down, a simulator). A receipt arriving
 * after that is ignored by the state machine: expired is final. IOVOX says
 * as much: "the SMS may still be delivered by the operator after expiry".
 */
import type { GroupCommitter } from '../store/group-commit.js';
import type { MessageRepo } from '../store/message-repo.js';
import type { Logger } from '../shared/log.js';
import { ErrorCode } from '../shared/errors.js';
import { MessageStatus } from './message.js';
import type { StatusWriter } from './status-writer.js';

export interface ExpiryWatcherDeps {
  repo: MessageRepo;
  committer: GroupCommitter;
  statusWriter: StatusWriter;
  log: Logger;
  afterCommit?: () => void;
  now?: () => number;
  /** How often deadlines are checked; expiry is given in minutes, so a second is precise enough. */
  intervalMs?: number;
}

export class ExpiryWatcher {
  private timer: NodeJS.Timeout | null = null;
  private sweeping = false;
  private readonly now: () => number;

  constructor(private readonly deps: ExpiryWatcherDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.deps.intervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Expire every unfinished message past its deadline; resolves with how many changed. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    // A read first: most seconds nothing is due, and then no transaction is opened at all.
    if (this.deps.repo.listPastDeadline(this.now()).length === 0) return 0;
    this.sweeping = true;
    try {
      const expired = await this.deps.committer.run((db) => {
        const now = this.now();
        let changed = 0;
        for (const message of this.deps.repo.listPastDeadline(now)) {
          const ok = this.deps.statusWriter.finish(
            db,
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
    } catch (err) {
      this.deps.log.error({ err }, 'expiry sweep failed');
      return 0;
    } finally {
      this.sweeping = false;
    }
  }
}
