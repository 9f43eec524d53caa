/**
 * Runs sipp (Debian's sip-tester) as the far end of a call: one scenario
 * file from test/fixtures/sipp, loopback only, its verdict in the exit code
 * (0: every call passed) and its unexpected messages in the error log.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export const SIPP_SCENARIOS = resolve(import.meta.dirname, '../fixtures/sipp');
export const SIPP_PCAPS = '/usr/share/sip-tester';

export function sippAvailable(): boolean {
  return spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;
}

export interface SippRun {
  code: number | null;
  errors: string;
  stdout: string;
}

export interface SippOptions {
  /** A file name in test/fixtures/sipp, or an absolute path. */
  scenario: string;
  /** host:port of telenode; omitted for a UAS scenario (sipp waits for us). */
  target?: string;
  localPort: number;
  /** The loopback address sipp sends from (default 127.0.0.1): another caller, as telenode sees it. */
  localAddress?: string;
  mediaPort?: number;
  transport?: 'u1' | 't1';
  calls?: number;
  rate?: number;
  limit?: number;
  keys?: Record<string, string | number>;
  timeoutSeconds?: number;
  workDir: string;
  /** sipp's working directory, where it looks for pcap files (default workDir). */
  cwd?: string;
  extraArgs?: string[];
}

export function runSipp(options: SippOptions): { done: Promise<SippRun>; kill: () => void } {
  const errorFile = join(options.workDir, `sipp-${options.localPort}-errors.log`);
  const args = [
    '-sf',
    isAbsolute(options.scenario) ? options.scenario : join(SIPP_SCENARIOS, options.scenario),
    '-i',
    options.localAddress ?? '127.0.0.1',
    '-mi',
    options.localAddress ?? '127.0.0.1',
    '-p',
    String(options.localPort),
    '-mp',
    String(options.mediaPort ?? options.localPort + 2),
    '-t',
    options.transport ?? 'u1',
    '-m',
    String(options.calls ?? 1),
    '-timeout',
    `${options.timeoutSeconds ?? 30}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_err',
    '-error_file',
    errorFile,
    ...(options.rate ? ['-r', String(options.rate)] : []),
    ...(options.limit ? ['-l', String(options.limit)] : []),
    ...Object.entries(options.keys ?? {}).flatMap(([k, v]) => ['-key', k, String(v)]),
    ...(options.extraArgs ?? []),
    ...(options.target ? [options.target] : []),
  ];
  const child = spawn('sipp', args, { cwd: options.cwd ?? options.workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout = (stdout + d.toString()).slice(-20_000);
  });
  child.stderr.on('data', (d: Buffer) => {
    stdout = (stdout + d.toString()).slice(-20_000);
  });
  const done = new Promise<SippRun>((resolveRun) => {
    child.on('close', (code) => {
      resolveRun({ code, errors: existsSync(errorFile) ? readFileSync(errorFile, 'utf8') : '', stdout });
    });
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

export { freeUdpPort } from './ports.js';

/**
 * Resolves once a process has bound UDP `port` (sipp as a UAS, ready for our INVITE): read from the kernel's
 * socket table (Linux's /proc/net/udp), so the probe never holds the port sipp is about to bind.
 */
export async function udpPortBound(port: number, timeoutMs = 15_000): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const table = readFileSync('/proc/net/udp', 'utf8');
    if (table.split('\n').some((line) => line.trim().split(/\s+/)[1]?.endsWith(`:${hex}`))) return;
    if (Date.now() > deadline) throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A copy of `uac-reject.xml` in `dir` that expects `status` as the INVITE's final answer; returns its path. */
export function rejectScenario(dir: string, status: number): string {
  const path = join(dir, `uac-reject-${status}.xml`);
  writeFileSync(path, readFileSync(join(SIPP_SCENARIOS, 'uac-reject.xml'), 'utf8').replace('STATUS', String(status)));
  return path;
}
