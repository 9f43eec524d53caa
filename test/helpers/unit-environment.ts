/**
 * systemd/telenode.service's `Environment=` settings, as systemd hands them to the process, and the flags its
 * `ExecStart=` gives node: tests and benches start the daemon with them to run it as the unit does (decision 0118's
 * malloc thresholds, decision 0123's single-threaded GC).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const UNIT = join(dirname(fileURLToPath(import.meta.url)), '../../systemd/telenode.service');

export function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(UNIT, 'utf8');
  const pairs = [...unit.matchAll(/^Environment=(.*)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
  return Object.fromEntries(pairs.map((pair) => pair.split('=') as [string, string]));
}

/** The options `ExecStart=` puts between node and the script (`--single-threaded-gc`). */
export function unitNodeFlags(): string[] {
  const execStart = /^ExecStart=(.*)$/m.exec(readFileSync(UNIT, 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
  const script = execStart.findIndex((word) => word.endsWith('/dist/cli/main.js'));
  return execStart.slice(1, Math.max(1, script)).filter((word) => word.startsWith('--'));
}
