/**
 * Query strings and form bodies, parsed strictly: a malformed %-escape or
 * bytes that are not UTF-8 are an error the dialect reports in its own format,
 * never silently replaced by U+FFFD. Names are matched case-insensitively.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Parameters by lower-cased name; the first occurrence of a name wins. */
export class Params {
  private readonly values = new Map<string, string>();

  set(name: string, value: string): void {
    const key = name.toLowerCase();
    if (!this.values.has(key)) this.values.set(key, value);
  }

  /** The value of the first of `names` present (aliases, misspellings). */
  get(...names: string[]): string | undefined {
    for (const name of names) {
      const value = this.values.get(name.toLowerCase());
      if (value !== undefined) return value;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.values.has(name.toLowerCase());
  }

  merge(other: Params): void {
    for (const [key, value] of other.values) this.values.set(key, value);
  }

  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }
}

/** Parse `a=1&b=x+y` (application/x-www-form-urlencoded, WHATWG rules). */
export function parseUrlEncoded(text: string): Params {
  const params = new Params();
  if (text.length === 0) return params;
  for (const pair of text.split('&')) {
    if (pair.length === 0) continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    params.set(decodeComponent(rawName), decodeComponent(rawValue));
  }
  return params;
}

/** The query string of a request URL, parsed. */
export function parseQuery(url: string): Params {
  const q = url.indexOf('?');
  return parseUrlEncoded(q < 0 ? '' : url.slice(q + 1));
}

/** Decode a body as UTF-8, refusing invalid byte sequences. */
export function decodeUtf8(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch (err) {
    throw new AppError(ErrorCode.REQUEST_PARSE, 'request body is not valid UTF-8', { cause: err });
  }
}

const PLUS = /\+/g;

function decodeComponent(raw: string): string {
  // Most names and many values (a user name, a plain-word text) carry neither: no copy, no decoder run.
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try {
    return decodeURIComponent(raw.replace(PLUS, ' '));
  } catch (err) {
    throw new AppError(ErrorCode.REQUEST_PARSE, `malformed URL encoding or invalid UTF-8 in '${raw.slice(0, 40)}'`, {
      cause: err,
    });
  }
}
