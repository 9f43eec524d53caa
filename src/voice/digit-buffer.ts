/**
 * The caller's key presses, from RTP events or SIP INFO, buffered so none is
 * lost between verbs (a caller who types ahead during a prompt is heard).
 */

/**
 * Digits held for the next collect, at most. A person types ahead a handful; RFC 4733 events with a new timestamp
 * each (or SIP INFOs) can be sent by the thousand a second, and nothing collects during a long prompt: the rest are
 * dropped, not held.
 */
export const MAX_PENDING_DIGITS = 256;

export interface CollectOptions {
  maxDigits: number;
  /** Wait this long for the first digit. */
  firstDigitTimeoutMs: number;
  /** Then this long between digits. */
  interDigitTimeoutMs: number;
  /** Keys that end the input (not included in the result), e.g. "#". */
  terminators?: string;
  signal?: AbortSignal;
}

export interface CollectResult {
  digits: string;
  /** Why collection stopped. */
  reason: 'max-digits' | 'terminator' | 'timeout' | 'aborted';
  terminator: string | null;
}

export class DigitBuffer {
  private buffered = '';
  private waiter: (() => void) | null = null;
  private readonly listeners = new Set<(digit: string) => void>();

  push(digit: string): void {
    if (this.buffered.length < MAX_PENDING_DIGITS) this.buffered += digit;
    for (const listener of this.listeners) listener(digit);
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /** Called on every digit as it arrives (barge-in stops a prompt with this). */
  onDigit(listener: (digit: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get pending(): string {
    return this.buffered;
  }

  clear(): void {
    this.buffered = '';
  }

  async collect(options: CollectOptions): Promise<CollectResult> {
    let digits = '';
    const terminators = options.terminators ?? '';
    for (;;) {
      while (this.buffered.length > 0) {
        const digit = this.buffered[0]!;
        this.buffered = this.buffered.slice(1);
        if (terminators.includes(digit)) return { digits, reason: 'terminator', terminator: digit };
        digits += digit;
        if (digits.length >= options.maxDigits) return { digits, reason: 'max-digits', terminator: null };
      }
      if (options.signal?.aborted) return { digits, reason: 'aborted', terminator: null };
      const timeoutMs = digits.length === 0 ? options.firstDigitTimeoutMs : options.interDigitTimeoutMs;
      const outcome = await this.waitForDigit(timeoutMs, options.signal);
      if (outcome !== 'digit') return { digits, reason: outcome, terminator: null };
    }
  }

  private waitForDigit(timeoutMs: number, signal?: AbortSignal): Promise<'digit' | 'timeout' | 'aborted'> {
    return new Promise((resolve) => {
      const done = (outcome: 'digit' | 'timeout' | 'aborted') => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.waiter === onDigit) this.waiter = null;
        resolve(outcome);
      };
      const onDigit = () => done('digit');
      const onAbort = () => done('aborted');
      const timer = setTimeout(() => done('timeout'), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = onDigit;
    });
  }
}
