/** `telenode ozml lint` as a user runs it (built dist/, a real process) on the good and bad fixtures. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { CLI } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const FIXTURES = join(import.meta.dirname, '../fixtures/ozml');

async function telenode(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('telenode ozml lint', () => {
  it('passes the good scripts with exit code 0', async () => {
    const files = ['seed-002.xml', 'good-menu.xml'].map((f) => join(FIXTURES, f));
    const result = await telenode(['ozml', 'lint', ...files]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(files.map((f) => `${f}: OK\n`).join(''));
  });

  it('prints every error as FILE:LINE:COLUMN and exits 1', async () => {
    const bad = join(FIXTURES, 'bad.xml');
    const broken = join(FIXTURES, 'not-xml.xml');
    const result = await telenode(['ozml', 'lint', join(FIXTURES, 'seed-002.xml'), bad, broken]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `${bad}:3:3: <Reject> is only allowed as the first command`,
      `${bad}:4:3: unknown command <Dance>`,
      `${bad}:5:3: <UserInput> Digits="x" is not an integer between 1 and 32`,
      `${bad}:8:3: <SendSms> needs a Recipient`,
      `${broken}:2:15: not well-formed XML: Expected closing tag 'Speak' (opened in line 2, col 3) instead of closing tag 'Speek'.`,
    ]);
  });

  it('reports XML the parser refuses (entities, deep nesting) as FILE:LINE:COLUMN and goes on with the next file', async () => {
    const entity = join(FIXTURES, 'entity-refused.xml');
    const dir = tempDir();
    try {
      const deep = join(dir.path, 'deep.xml');
      writeFileSync(deep, `<Response>\n${'<Speak>'.repeat(150)}x${'</Speak>'.repeat(150)}\n</Response>\n`);
      const good = join(FIXTURES, 'seed-002.xml');
      const result = await telenode(['ozml', 'lint', entity, deep, good]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        `${entity}:2:1: XML the parser refuses: Invalid entity name %`,
        `${deep}:2:694: XML the parser refuses: Maximum nested tags exceeded`,
      ]);
      expect(result.stdout).toBe(`${good}: OK\n`);
    } finally {
      dir.remove();
    }
  });

  it('writes all of a long report into a slow pipe before it exits', async () => {
    const dir = tempDir();
    try {
      const bad = join(dir.path, 'many.xml');
      writeFileSync(bad, `<Response>\n${'<Dance/>\n'.repeat(20_000)}</Response>\n`);
      // stderr into a pipe that `sleep 1; wc -l` drains late, as `telenode ozml lint … 2>&1 | less` would
      const { stdout } = await run('sh', ['-c', `node ${CLI} ozml lint ${bad} 2>&1 | (sleep 1; wc -l)`], { timeout: 60_000 });
      expect(Number(stdout.trim())).toBe(20_000);
    } finally {
      dir.remove();
    }
  });
});
