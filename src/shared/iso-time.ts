/**
 * `new Date(ms).toISOString()`, character for character, for the times a node stamps on its callbacks: the date is
 * formatted once a day and the time of day by arithmetic. Every delivery report carries three such times, and
 * formatting them through a Date each was about 1 % of the main thread flat out with receipts (bench/RESULTS.md,
 * "Issue 18, session 31").
 */

const DAY_MS = 86_400_000;
/** Years 0000–9999, where toISOString writes four digits (outside it, six and a sign). */
const LAST_FOUR_DIGIT_MS = 253_402_300_799_999;

/** The last day formatted (ms / DAY_MS, floored) and its `YYYY-MM-DDT`. */
let cachedDay = Number.NaN;
let cachedDate = '';

export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > LAST_FOUR_DIGIT_MS) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
    cachedDay = day;
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const milli = rest - seconds * 1000;
  return `${cachedDate}${two(hours)}:${two(minutes)}:${two(seconds)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}
