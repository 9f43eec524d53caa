/**
 * Runs the real `telenode start` (built dist/) as a child process, so tests
 * can SIGKILL it mid-load and start it again on the same store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { unitNodeFlags } from './unit-environment.js';

export interface DaemonProcess {
  child: ChildProcess;
  base: string;
  port: number;
  /** The port the built-in SIP engine listens on, from the start line (null when the node runs no SIP). */
  sipPort: number | null;
  logs: string[];
  /** What the process wrote to stderr (an uncaught exception lands here, not in the JSON log). */
  stderr: string[];
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export const CLI = join(process.cwd(), 'dist/cli/main.js');

/** Write `config` (JSON is YAML) into `dir` and return its path. */
export function writeConfig(dir: string, config: Record<string, unknown>, name = 'telenode.yaml'): string {
  const file = join(dir, name);
  // Tests run in parallel: never the fixed SIP port 5060 unless a test asks for it.
  // Receivers and apps in tests listen on loopback, which the egress policy denies by default.
  writeFileSync(file, JSON.stringify({ voice: { builtin: { port: 0 } }, egress: { allow: ['127.0.0.0/8'] }, ...config }, null, 2));
  return file;
}

/**
 * Resolves once the daemon logs "telenode started". The timeout is generous: `telenode start` warms up before its
 * API opens (up to 10 s on a slow machine, src/app/warm-up.ts) and CI runs on a busy one. `env` is added to ours.
 */
export async function startDaemonProcess(configFile: string, timeoutMs = 40_000, env: Record<string, string> = {}): Promise<DaemonProcess> {
  // With the node flags systemd/telenode.service starts it with (decision 0123), so the tests run the daemon users run.
  const child = spawn(process.execPath, [...unitNodeFlags(), CLI, 'start', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const started = await new Promise<{ port: number; sipPort: number | null }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start within ${timeoutMs} ms:\n${logs.join('\n')}\n${stderr.join('')}`)), timeoutMs);
    lines.on('line', (line) => {
      logs.push(line);
      if (line.includes('"telenode started"')) {
        clearTimeout(timer);
        const { http, sip } = JSON.parse(line) as { http: string; sip: string[] | 'disabled' };
        resolve({ port: Number(new URL(http).port), sipPort: Array.isArray(sip) && sip[0] ? Number(sip[0].split(':').at(-1)) : null });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before starting:\n${logs.join('\n')}\n${stderr.join('')}`));
    });
  });
  const { port, sipPort } = started;
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    port,
    sipPort,
    logs,
    stderr,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
