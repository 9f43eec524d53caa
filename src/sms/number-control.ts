/**
 * SMS switched on or off per number (Voximplant's ControlSms). A number with
 * SMS off neither sends (the outbox refuses it as a sender, in every dialect)
 * nor receives (inbound messages to it are dropped before they are stored or
 * posted). The switch is stored; the set of switched-off numbers is kept in
 * memory because every accept and every inbound message asks.
 */
import type { Committer } from '../store/sql.js';
import type { NumberSettingsRepo } from '../store/number-settings-repo.js';
import { AppError, ErrorCode } from '../shared/errors.js';
import { canonicalNumber } from './router.js';

export class NumberControl {
  private readonly disabled = new Set<string>();
  private refreshTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repo: NumberSettingsRepo,
    private readonly committer: Committer,
    private readonly now: () => number = Date.now,
  ) {}

  /** Read the switched-off numbers (at start, before the API listens; in a cluster, again every few seconds). */
  async load(): Promise<void> {
    const disabled = await this.repo.listSmsDisabled();
    this.disabled.clear();
    for (const number of disabled) this.disabled.add(number);
  }

  /** Several nodes share the store: a number switched off through another node is read within `everyMs`. */
  refreshEvery(everyMs: number, onError: (err: unknown) => void): void {
    this.refreshTimer = setInterval(() => this.load().catch(onError), everyMs);
    this.refreshTimer.unref();
  }

  stop(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  isSmsEnabled(number: string): boolean {
    return this.disabled.size === 0 || !this.disabled.has(canonicalNumber(number));
  }

  /** Throws NUMBER_SMS_DISABLED when `sender` has SMS switched off. */
  assertCanSend(sender: string): void {
    if (this.isSmsEnabled(sender)) return;
    throw new AppError(ErrorCode.NUMBER_SMS_DISABLED, `SMS is disabled for the number ${sender}`, {
      details: { field: 'sender', number: sender },
    });
  }

  /** Switch SMS on or off for `number`; resolves once the switch is stored. */
  async setSmsEnabled(number: string, enabled: boolean, by: string): Promise<void> {
    const canonical = canonicalNumber(number);
    await this.committer.run(() => this.repo.setSmsEnabled(canonical, enabled, by, this.now()));
    if (enabled) this.disabled.delete(canonical);
    else this.disabled.add(canonical);
  }
}
