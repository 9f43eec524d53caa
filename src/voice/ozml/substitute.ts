/**
 * `$name` variables (Ozeki's Var, Array and ForEach's `$item`). Values are
 * substituted when a verb runs, not when the script is parsed, because a
 * Var earlier in the script (or a ForEach turn) sets them. A `$name` with no
 * value is left as written, so a price like "$5" or a typo stays audible.
 */
const VARIABLE = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

export class Scope {
  private readonly values = new Map<string, string>();
  private readonly arrays = new Map<string, string[]>();

  constructor(private readonly parent: Scope | null = null) {}

  /** Var: names are case-insensitive, as the rest of OzML, and global to the script. */
  set(name: string, value: string): void {
    if (this.parent) this.parent.set(name, value);
    else this.values.set(name.toLowerCase(), value);
  }

  /** A value only this scope sees (ForEach's `$item`). */
  local(name: string, value: string): void {
    this.values.set(name.toLowerCase(), value);
  }

  get(name: string): string | undefined {
    return this.values.get(name.toLowerCase()) ?? this.parent?.get(name);
  }

  setArray(name: string, items: string[]): void {
    if (this.parent) this.parent.setArray(name, items);
    else this.arrays.set(name.toLowerCase(), items);
  }

  getArray(name: string): string[] | undefined {
    return this.arrays.get(name.toLowerCase()) ?? this.parent?.getArray(name);
  }

  /** A scope for one ForEach turn: `$item` is local to it, Var and Array still write the script's scope. */
  child(): Scope {
    return new Scope(this);
  }

  substitute(text: string, encode: (value: string) => string = (value) => value): string {
    if (!text.includes('$')) return text;
    return text.replace(VARIABLE, (whole, name: string) => {
      const value = this.get(name);
      return value === undefined ? whole : encode(value);
    });
  }

  /**
   * Into a URL, each value goes as one percent-encoded component (RFC 3986 §2.1): a caller's
   * `+1555` arrives as `+1555`, not as a space, and no value can add a parameter or change the host.
   */
  substituteUrl(text: string): string {
    return this.substitute(text, encodeURIComponent);
  }

  /**
   * Into a file name, each value stays one path segment: separators, `%`, and control characters are
   * percent-encoded, so `$Caller` (chosen by whoever calls) can never climb out of the folder.
   */
  substitutePath(text: string): string {
    return this.substitute(text, asPathSegment);
  }

  /** Play's location: a URL or a file name, each with its own encoding. */
  substituteLocation(text: string): string {
    return /^https?:\/\//i.test(text) ? this.substituteUrl(text) : this.substitutePath(text);
  }
}

export function asPathSegment(value: string): string {
  const escaped = value.replace(/[/\\%\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return escaped === '.' || escaped === '..' ? escaped.replace(/\./g, '%2E') : escaped;
}
