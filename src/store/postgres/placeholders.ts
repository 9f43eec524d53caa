/**
 * The repos write SQL with `?` or `@name` parameters (what better-sqlite3
 * takes); PostgreSQL wants `$1 … $n`. This rewrites a statement once (the
 * result is cached per SQL text) and says how to order the values. Quoted
 * strings and identifiers are left alone, so a `?` inside '…' stays a `?`.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';

export interface PgStatement {
  text: string;
  /** For `@name` statements: the parameter names in `$n` order. Null: positional. */
  names: readonly string[] | null;
}

export function toPgStatement(sql: string): PgStatement {
  let text = '';
  let position = 0;
  const names: string[] = [];
  const numbered = new Map<string, number>();
  let named = false;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = closingQuote(sql, i, c);
      text += sql.slice(i, end + 1);
      i = end;
    } else if (c === '?') {
      text += `$${++position}`;
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      named = true;
      let j = i + 1;
      while (j < sql.length && /\w/.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      let n = numbered.get(name);
      if (n === undefined) {
        names.push(name);
        n = names.length;
        numbered.set(name, n);
      }
      text += `$${n}`;
      i = j - 1;
    } else {
      text += c;
    }
  }
  if (named && position > 0) throw new AppError(ErrorCode.STORE_FAILED, `SQL mixes ? and @name parameters: ${sql}`);
  return { text, names: named ? names : null };
}

/** The index of the quote that closes the one at `start` ('' and "" are escapes inside). */
function closingQuote(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] !== quote) continue;
    if (sql[i + 1] === quote) {
      i++;
      continue;
    }
    return i;
  }
  return sql.length - 1;
}

/** The values for a rewritten statement, in `$n` order. */
export function pgValues(statement: PgStatement, params: readonly unknown[] | object | undefined): unknown[] {
  if (params === undefined) return [];
  if (statement.names === null) return (params as readonly unknown[]).map(toPgValue);
  const byName = params as Record<string, unknown>;
  return statement.names.map((name) => toPgValue(byName[name]));
}

/**
 * better-sqlite3 takes undefined as NULL and booleans nowhere; keep the two stores' values the same. And every
 * number the store keeps or compares is a whole one (epoch-ms times, counts, ids: INTEGER and BIGINT columns, no
 * REAL), but a jittered retry time or one made from a setting carries a fraction (`leaseSeconds: 2.01` is
 * 2009.9999999999998 ms, `retry.maxAgeHours: 1.1` 3960000.0000000005): PostgreSQL refuses that for a BIGINT, where
 * SQLite stores or compares it as it is, so it is rounded here.
 */
function toPgValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && !Number.isInteger(value) && Number.isFinite(value)) return Math.round(value);
  if (typeof value === 'string' && value.includes('\0')) return value.replaceAll('\0', NUL_STORED_AS);
  return value;
}

/**
 * PostgreSQL's text cannot hold U+0000 ("invalid byte sequence for encoding UTF8: 0x00"), and one came from outside:
 * an SMS from a handset or an SMPP client in UCS-2 (0x0000 is a code unit like any other), `%00` in a request. The
 * store refused the row: a request was answered "internal error", an inbound SMS was refused back to the carrier
 * and sent again without end. It is stored as U+FFFD, Unicode's mark for a character that could not be kept; a
 * lookup by such a value then finds nothing, as it should. SQLite keeps U+0000 as it is.
 */
const NUL_STORED_AS = '\uFFFD';
