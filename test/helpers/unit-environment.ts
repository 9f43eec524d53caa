/**
 * systemd/telenode.service's `Environment=` settings, as systemd hands them to the process: tests and benches start
 * the daemon with them to run it as the unit does (decision 0118's malloc thresholds).
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
