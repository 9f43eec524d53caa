/** How the console writes times, durations and states. */

export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function since(ms: number | undefined, now: number): string {
  return ms === undefined ? '' : `for ${duration((now - ms) / 1000)}`;
}

/** The CSS class of a state word: good, bad or neutral. */
export function tone(state: string | boolean): string {
  if (state === true || ['bound', 'up', 'delivered', 'ok', 'InCall', 'registered'].includes(String(state))) return 'good';
  if (state === false || ['failed', 'expired', 'closed', 'down', 'dead', 'degraded'].includes(String(state))) return 'bad';
  return 'neutral';
}

/** A callback's last answer in a few words: `HTTP 500`, `connection refused`, `HTTP 404 (body too large)`. */
export function answer(status: number | null, error: string | null): string {
  const http = status === null ? '' : `HTTP ${status}`;
  if (!error || error === http) return http;
  return http ? `${http} (${error})` : error;
}
