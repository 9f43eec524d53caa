/** The error registry and docs/errors.md name the same codes, each once, each spelled from its key. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/shared/errors.js';

const page = readFileSync(resolve(import.meta.dirname, '../../../docs/errors.md'), 'utf8');
const documented = [...page.matchAll(/^\| `(TN_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);

describe('error registry', () => {
  it('every code is TN_ERR_ followed by its key, and unique', () => {
    for (const [key, code] of Object.entries(ErrorCode)) expect(code).toBe(`TN_ERR_${key}`);
    expect(new Set(Object.values(ErrorCode)).size).toBe(Object.values(ErrorCode).length);
  });

  it('docs/errors.md documents every code in the registry, and no code that is not in it', () => {
    expect([...documented].sort()).toEqual([...Object.values(ErrorCode)].sort());
    expect(new Set(documented).size).toBe(documented.length);
  });
});
