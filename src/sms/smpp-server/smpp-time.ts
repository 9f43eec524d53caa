/**
 * SMPP time (SMPP 3.4 §7.1.1): "YYMMDDhhmmsstnnp", where p is '+' or '-'
 * (an absolute time, nn quarter hours ahead of or behind UTC) or 'R' (a
 * period relative to now). An empty value means "none".
 */

/** Milliseconds since the epoch; null for an empty value; undefined when the value is not SMPP time. */
export function parseSmppTime(value: string, now: number): number | null | undefined {
  if (value === '') return null;
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d)(\d{2})([+\-R])$/.exec(value);
  if (!m) return undefined;
  const [yy, mo, dd, hh, mi, ss, tenths, nn] = m.slice(1, 9).map(Number) as [number, number, number, number, number, number, number, number];
  const p = m[9]!;
  if (p === 'R') {
    // Relative: YY years, MM months, DD days… from now; years and months as the calendar has them.
    const d = new Date(now);
    d.setUTCFullYear(d.getUTCFullYear() + yy, d.getUTCMonth() + mo, d.getUTCDate() + dd);
    return d.getTime() + ((hh * 60 + mi) * 60 + ss) * 1000 + tenths * 100;
  }
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59 || nn > 48) return undefined;
  const local = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss, tenths * 100);
  const offsetMs = nn * 15 * 60_000;
  return p === '+' ? local - offsetMs : local + offsetMs;
}

/** "YYMMDDhhmm" in UTC, the receipt's submit date and done date (SMPP 3.4 Appendix B). */
export function receiptDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

/** "YYMMDDhhmmss000+" in UTC, query_sm_resp's final_date. */
export function absoluteSmppTime(ms: number): string {
  const d = new Date(ms);
  return `${receiptDate(ms)}${String(d.getUTCSeconds()).padStart(2, '0')}000+`;
}
