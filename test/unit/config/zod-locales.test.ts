/**
 * patches/zod+4.6.7.patch: zod's entry points re-export all of its 64 locales, so every process that validates a
 * config loaded them — about 0.8 MiB of heap in every daemon, most of it source text in scripts other than Latin
 * (issue 18). The patch drops those re-exports; zod still registers English for its messages itself. Run in fresh
 * processes: this one's module cache has seen zod already.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

const commonJs = `
  const { z } = require('zod');
  const locales = Object.keys(require.cache).filter((file) => file.includes('/node_modules/zod/v4/locales/'));
  const result = z.object({ name: z.string().min(2) }).safeParse({ name: 'x' });
  console.log(JSON.stringify({ locales: locales.map((file) => file.split('/').pop()), message: result.error.issues[0].message }));`;

const esModule = `
  const { z } = await import('zod');
  const result = z.object({ port: z.number().int() }).safeParse({ port: 1.5 });
  console.log(JSON.stringify({ locales: typeof z.locales, message: result.error.issues[0].message }));`;

describe('zod as the config loads it', () => {
  it('loads English alone and still says in English what is wrong (require)', async () => {
    const { stdout } = await run(process.execPath, ['-e', commonJs], { cwd: process.cwd(), timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ locales: ['en.cjs'], message: 'Too small: expected string to have >=2 characters' });
  });

  it('exports no locales to an ES module, whose messages are English too (import)', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', esModule], { cwd: process.cwd(), timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ locales: 'undefined', message: 'Invalid input: expected int, received number' });
  });
});
