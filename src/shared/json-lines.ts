/**
 * History kept as JSON lines in a text column (a message's steps, a callback's attempts): a line is appended by
 * the statement that records the change (`col = col || ?`), with no read of what is there first.
 */
export function jsonLines(values: readonly unknown[]): string {
  let text = '';
  for (const value of values) text += `${JSON.stringify(value)}\n`;
  return text;
}

/** The lines back, oldest first; a line that does not parse is skipped rather than hiding the rest. */
export function parseJsonLines<T>(text: string): T[] {
  const values: T[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    try {
      values.push(JSON.parse(line) as T);
    } catch {
      // skipped
    }
  }
  return values;
}
