/**
 * The retention job (issue 22): every `retention.intervalMinutes`, and a minute after start, finished work
 * older than its configured age is deleted in batches of 500 rows, one commit each, so the store stays the
 * size of its retention window and the daemon's own writes never wait long behind a prune. Several nodes on
 * one PostgreSQL may prune at once: deleting what another node just deleted deletes nothing. Each node also
 * prunes its own recordings folder when `retention.recordingsDays` asks it to.
 */
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import type { Committer, SqlExecutor } from '../store/sql.js';
import { RetentionRepo } from '../store/retention-repo.js';
import { pruneRecordings } from '../voice/ozml/recordings-retention.js';

const BATCH = 500;
const DAY_MS = 86_400_000;

type Kind = 'messages' | 'inbound' | 'callbacks' | 'dead_letters' | 'emails' | 'calls' | 'recordings';

export class RetentionJob {
  private readonly repo: RetentionRepo;
  private readonly pruned: Counter<'kind'>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<Record<Kind, number>> | null = null;

  constructor(
    private readonly config: Readonly<Config['retention']>,
    sql: SqlExecutor,
    private readonly committer: Pick<Committer, 'run'>,
    private readonly log: Logger,
    registry: Registry,
    /** This node's recordings folder (retention.recordingsDays); null without voice. */
    private readonly recordingsDir: string | null = null,
    private readonly now: () => number = Date.now,
  ) {
    this.repo = new RetentionRepo(sql);
    this.pruned = new Counter({
      name: 'telenode_store_pruned_total',
      help: 'Rows deleted by the retention job, by kind',
      labelNames: ['kind'],
      registers: [registry],
    });
  }

  start(firstRunMs = 60_000): void {
    const run = () => void this.runNow().catch((err: unknown) => this.log.warn({ err }, 'retention prune failed; it runs again at the next interval'));
    this.timer = setTimeout(() => {
      run();
      this.timer = setInterval(run, this.config.intervalMinutes * 60_000);
      this.timer.unref();
    }, firstRunMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Prune everything due now; resolves with what was deleted (one run at a time). */
  runNow(): Promise<Record<Kind, number>> {
    this.running ??= this.prune().finally(() => (this.running = null));
    return this.running;
  }

  private async prune(): Promise<Record<Kind, number>> {
    const c = this.config;
    const now = this.now();
    const jobs: [Kind, number, (before: number) => Promise<number>][] = [
      ['messages', c.messagesDays, (before) => this.repo.pruneMessages(before, BATCH)],
      ['inbound', c.inboundDays, (before) => this.repo.pruneInbound(before, BATCH)],
      ['callbacks', c.callbacksDays, (before) => this.repo.pruneCallbacks('delivered', before, BATCH)],
      ['dead_letters', c.deadLettersDays, (before) => this.repo.pruneCallbacks('dead', before, BATCH)],
      ['emails', c.emailsDays, (before) => this.repo.pruneEmails(before, BATCH)],
      ['calls', c.callsDays, (before) => this.repo.pruneCalls(before, BATCH)],
    ];
    const counts = { messages: 0, inbound: 0, callbacks: 0, dead_letters: 0, emails: 0, calls: 0, recordings: 0 };
    // Files, not rows: one pass, no commit.
    if (c.recordingsDays > 0 && this.recordingsDir !== null) {
      counts.recordings = await pruneRecordings(this.recordingsDir, now - c.recordingsDays * DAY_MS);
      if (counts.recordings > 0) this.pruned.inc({ kind: 'recordings' }, counts.recordings);
    }
    for (const [kind, days, prune] of jobs) {
      if (days === 0) continue;
      const before = now - days * DAY_MS;
      for (;;) {
        const deleted = await this.committer.run(() => prune(before));
        counts[kind] += deleted;
        if (deleted < BATCH) break;
      }
      if (counts[kind] > 0) this.pruned.inc({ kind }, counts[kind]);
    }
    if (Object.values(counts).some((n) => n > 0)) this.log.info({ pruned: counts }, 'retention: old finished work deleted');
    return counts;
  }
}
