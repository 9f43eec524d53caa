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

  substitute(text: string): string {
    if (!text.includes('$')) return text;
    return text.replace(VARIABLE, (whole, name: string) => this.get(name) ?? whole);
  }
}
