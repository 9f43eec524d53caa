/** The repos' `?` and `@name` parameters rewritten for PostgreSQL (src/store/postgres/placeholders.ts). */
import { describe, expect, it } from 'vitest';
import { pgValues, toPgStatement } from '../../../../src/store/postgres/placeholders.js';

describe('PostgreSQL placeholders', () => {
  it('numbers ? in order and leaves a ? inside quotes alone', () => {
    const st = toPgStatement(`SELECT * FROM t WHERE a = ? AND b = '?' AND "c?" = ? LIMIT ?`);
    expect(st).toEqual({ text: `SELECT * FROM t WHERE a = $1 AND b = '?' AND "c?" = $2 LIMIT $3`, names: null });
    expect(pgValues(st, [1, undefined, true])).toEqual([1, null, 1]);
  });

  it('gives each @name one number, however often it appears, and reads the values by name', () => {
    const st = toPgStatement("UPDATE t SET a = @a, b = @b WHERE id = @id AND a <> @a AND note = 'x@y.z'");
    expect(st.text).toBe("UPDATE t SET a = $1, b = $2 WHERE id = $3 AND a <> $1 AND note = 'x@y.z'");
    expect(pgValues(st, { id: 'm1', b: false, a: 7, extra: 'ignored' })).toEqual([7, 0, 'm1']);
  });

  it("keeps an escaped quote ('') inside a string", () => {
    expect(toPgStatement("SELECT 'it''s ?' AS s, ? AS n").text).toBe("SELECT 'it''s ?' AS s, $1 AS n");
  });

  it('refuses a statement that mixes the two kinds', () => {
    expect(() => toPgStatement('SELECT ? , @a')).toThrow(/mixes/);
  });
});
