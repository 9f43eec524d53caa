/**
 * docs/metrics.md and the code name the same metrics (issue 22, item 10), and every metric the page says is
 * there "always" is on the embedded defaults' /metrics.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../../helpers/in-process-daemon.js';

/** Strings in src/ that look like metric names but are not (the console's cookie, the cluster's NOTIFY channel, the warm-up's schemas). */
const NOT_METRICS = new Set(['telenode_console', 'telenode_cluster', 'telenode_warm_up_']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function documented(): Map<string, string> {
  const rows = readFileSync('docs/metrics.md', 'utf8').matchAll(/^\| `(telenode_[a-z_]+)` \|(?:[^|]*\|){3} ([^|]+) \|$/gm);
  return new Map([...rows].map((m) => [m[1]!, m[2]!.trim()]));
}

describe('docs/metrics.md', () => {
  it('lists every metric the code registers, and no other', () => {
    const inCode = new Set(
      sourceFiles('src')
        .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/'(telenode_[a-z_]+)'/g)].map((m) => m[1]!))
        .filter((name) => !NOT_METRICS.has(name)),
    );
    expect([...documented().keys()].sort()).toEqual([...inCode].sort());
  });

  it('every metric marked "always" is on the embedded defaults', async () => {
    const env = await startDaemon();
    try {
      const text = await (await fetch(`${env.base}/metrics`)).text();
      const present = new Set([...text.matchAll(/^# HELP (telenode_[a-z_]+) /gm)].map((m) => m[1]!));
      const always = [...documented()].filter(([, when]) => when.startsWith('always')).map(([name]) => name);
      expect(always.length).toBeGreaterThan(20);
      expect(always.filter((name) => !present.has(name))).toEqual([]);
    } finally {
      await env.stop();
    }
  });
});
