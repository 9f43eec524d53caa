import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'telenode-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Until `count()` reaches `target`, for as long as it keeps moving: fails only when it stood still for `stallMs`.
 * For bulk work whose pace is the machine's (a loaded CI host may take several times as long), where what must
 * be caught is work that stopped — and the failure says how far it got.
 */
export async function waitWhileProgressing(count: () => number, target: number, stallMs: number, what: string): Promise<void> {
  let last = count();
  let movedAt = Date.now();
  while (last < target) {
    await new Promise((r) => setTimeout(r, 50));
    const now = count();
    if (now !== last) [last, movedAt] = [now, Date.now()];
    else if (Date.now() - movedAt > stallMs) throw new Error(`${what}: ${now} of ${target}, none more for ${stallMs} ms`);
  }
}
