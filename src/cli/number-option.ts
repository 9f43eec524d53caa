import { InvalidArgumentError } from 'commander';

/**
 * The argument parser of a numeric option (commander's `.option(flags, description, parser, default)`): the value as a
 * number, or commander's own error for it — "option '--receipt-delay <ms>' argument 'abc' is invalid. …", exit 1 —
 * when it is not a number from `min` to `max` (an integer unless `fraction`). Without it, `Number('abc')` went on as
 * NaN: a timer of NaN ms fires at once, so `--status-interval abc` printed its counters line in a loop.
 */
export function numberFrom(min: number, max: number, options: { fraction?: boolean } = {}): (value: string) => number {
  const kind = options.fraction ? 'a number' : 'a whole number';
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (!options.fraction && !Number.isInteger(n)) || n < min || n > max) {
      throw new InvalidArgumentError(`expected ${kind} ${range}.`);
    }
    return n;
  };
}

/** Largest delay a Node.js timer takes (ms); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
