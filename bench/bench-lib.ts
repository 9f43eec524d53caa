/** Helpers the benchmarks share: processes, ports, /proc readings, the callback sink and the Ozeki load driver. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hashPassword } from '../src/shared/password-hash.js';
import { unitEnvironment, unitNodeFlags } from '../test/helpers/unit-environment.js';

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export function spawnUntil(args: string[], ready: RegExp, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`${name} exited ${code}:\n${out}`)));
  });
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** `read` of each process, added up (a gateway of several processes: Kannel's bearerbox and smsbox). */
export function summed(pids: readonly number[], read: (pid: number) => number): number {
  return pids.reduce((total, pid) => total + read(pid), 0);
}

export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** CPU time (user + system) a live process — or, with `tid`, one of its threads — has used so far, from /proc (clock ticks of 10 ms). */
export function cpuMs(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * What a process has had written to the device and its write system calls so far (/proc/PID/io, counted when a page
 * is dirtied): for a store, its journal or WAL, checkpoints and the pages each fsync writes again; and every socket
 * write.
 */
export function deviceWrites(pid: number): { deviceBytes: number; writeCalls: number } {
  const fields = new Map(
    readFileSync(`/proc/${pid}/io`, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(': ') as [string, string]),
  );
  return { deviceBytes: Number(fields.get('write_bytes')), writeCalls: Number(fields.get('syscw')) };
}

/**
 * The whole machine's CPU time since boot (ms, all cores): busy and in total. Between two readings it says how
 * much of the machine a run used, and so whether a gateway's throughput was bound by its own CPU or by the cores
 * it shares with the SMSC, the load driver and the callback receiver.
 */
export function machineCpuMs(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait (proc(5)); USER_HZ is 100 on Linux, so a jiffy is 10 ms.
  return { busy: (total - fields[3]! - fields[4]!) * 10, total: total * 10 };
}

/** Sums of the named counters over their labels, from one scrape of /metrics. */
export async function metrics(base: string, ...names: string[]): Promise<number[]> {
  const lines = (await (await fetch(`${base}/metrics`)).text()).split('\n');
  return names.map((name) => lines.filter((line) => line.startsWith(name)).reduce((sum, line) => sum + Number(line.split(' ').pop()), 0));
}

export interface CallbackSink {
  server: Server;
  url: string;
  arrivals: Map<string, number>;
}

export async function callbackSink(): Promise<CallbackSink> {
  const arrivals = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      // telenode's SMSDeliveryReport carries SmsId in its form body; Kannel's dlr-url carries the id the driver put in its query.
      const id = new URLSearchParams(body).get('SmsId') ?? new URL(req.url ?? '/', 'http://sink').searchParams.get('id');
      if (id && !arrivals.has(id)) arrivals.set(id, Date.now());
      res.end('OK');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dlr`, arrivals };
}

export interface DriverResult {
  count: number;
  failed: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  cpuMs: number;
}

/**
 * bench/ozeki-load.mjs in its own process. With `warm` it first warms its own code against a server of its own, and
 * the run begins only after `onReady` (where the caller starts its clocks) has returned.
 */
export function runDriver(args: string[], warm?: { requests: number; onReady: () => void }): Promise<DriverResult> {
  return new Promise((resolve, reject) => {
    const driverArgs = ['bench/ozeki-load.mjs', ...args, ...(warm ? ['--warm', String(warm.requests)] : [])];
    const child = spawn(process.execPath, driverArgs, { stdio: [warm ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (warm && out.startsWith('ready\n')) {
        out = out.slice('ready\n'.length);
        warm.onReady();
        child.stdin!.end('go\n');
      }
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as DriverResult) : reject(new Error(`driver exited ${code}`)),
    );
  });
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('benchmark did not finish in time');
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now();
}

/**
 * `telenode start --config <config>` from dist/ in its own process, as systemd/telenode.service starts it: the unit's
 * environment (its malloc thresholds, decisions 0118 and 0121) and node flags (decision 0123). DAEMON_NODE_FLAGS (V8
 * flags, --cpu-prof) go to its node after the unit's, DAEMON_ENV ("NAME=value …") to its environment over the unit's;
 * DAEMON_STDOUT=1 passes its standard output through (V8's --trace-opt/--trace-deopt print there).
 * `checkout`: the folder whose dist/ runs (another commit's worktree, for a comparison in the same run).
 */
export function spawnBenchDaemon(config: string, checkout = process.cwd()): ChildProcess {
  const flags = (process.env['DAEMON_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
  const extraEnv = (process.env['DAEMON_ENV'] ?? '')
    .split(' ')
    .filter(Boolean)
    .map((kv) => kv.split('=') as [string, string]);
  return spawn(process.execPath, [...unitNodeFlags(), ...flags, join(checkout, 'dist/cli/main.js'), 'start', '--config', config], {
    stdio: ['ignore', process.env['DAEMON_STDOUT'] ? 'inherit' : 'ignore', 'inherit'],
    env: { ...process.env, ...unitEnvironment(), ...Object.fromEntries(extraEnv) },
  });
}

/**
 * A daemon (dist/, its own process) on a fresh SQLite store in `dir`: user bench/bench, one SMPP connector `sim` with
 * one bind to the simulator at `smscPort`, callbacks allowed to loopback, SIP on a port the kernel picks (two benches
 * side by side never collide), started by spawnBenchDaemon. Resolves once /health answers.
 */
export async function startBenchDaemon(
  dir: string,
  options: { smscPort: number; receipts: boolean; window: number; commitIntervalMs?: number; warmUpMessages?: number },
): Promise<{ daemon: ChildProcess; base: string }> {
  return startDaemonOnConfig(dir, {
    // Without commitIntervalMs: the product's default.
    store: { path: join(dir, 'telenode.db'), ...(options.commitIntervalMs === undefined ? {} : { commitIntervalMs: options.commitIntervalMs }) },
    log: { level: 'warn' },
    voice: { builtin: { port: 0 } },
    users: [{ username: 'bench', passwordHash: hashPassword('bench') }],
    sms: { requestReceipts: options.receipts },
    // Without warmUpMessages: the product's default (decision 0117).
    ...(options.warmUpMessages === undefined ? {} : { warmUp: { messages: options.warmUpMessages } }),
    egress: { allow: ['127.0.0.1/32'] },
    connectors: [
      { id: 'sim', type: 'smpp', host: '127.0.0.1', port: options.smscPort, systemId: 'bench', password: 'bench', binds: 1, window: options.window },
    ],
  });
}

/**
 * A daemon (dist/ of `checkout`, its own process, started by spawnBenchDaemon) on `config`, written into `dir` with an
 * HTTP port of its own on loopback. Resolves once /health answers; a daemon that does not come up is stopped.
 */
export async function startDaemonOnConfig(
  dir: string,
  config: Record<string, unknown>,
  checkout = process.cwd(),
): Promise<{ daemon: ChildProcess; base: string }> {
  const httpPort = await freePort();
  const file = join(dir, 'config.yaml');
  writeFileSync(file, JSON.stringify({ http: { host: '127.0.0.1', port: httpPort }, ...config }));
  const daemon = spawnBenchDaemon(file, checkout);
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    await waitForHealthy(base);
  } catch (err) {
    await stop(daemon);
    throw err;
  }
  return { daemon, base };
}

/** Until the daemon at `base` answers /health with 200. */
export async function waitForHealthy(base: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(async () => {
    try {
      return (await fetch(`${base}/health`)).status === 200;
    } catch {
      return false;
    }
  }, timeoutMs);
}

/**
 * Between runs: flush the disk and wait, so the next run starts on a quiet disk (a receipts run leaves
 * hundreds of MB of written-back pages whose writeback stalled the next run's fsyncs).
 */
export async function settleBetweenRuns(): Promise<void> {
  execFileSync('sync');
  await new Promise((r) => setTimeout(r, 2000));
}

/** One message of the driver's `--ids` file whose callback the sink received. */
export interface CallbackTiming {
  /** When the driver sent it (ms since the epoch). */
  sentAt: number;
  /** Request → callback (ms). */
  latencyMs: number;
  /** The API's answer time as the driver saw it (ms; NaN when the file has no such column). */
  answeredMs: number;
}

/** The driver's `--ids` file ("id sentAt answeredMs" lines) joined with the sink's arrivals, in send order. */
export function callbackTimings(idsFile: string, arrivals: ReadonlyMap<string, number>): CallbackTiming[] {
  const timings: CallbackTiming[] = [];
  for (const line of readFileSync(idsFile, 'utf8').split('\n')) {
    const [id, at, answered] = line.split(' ');
    const arrived = id ? arrivals.get(id) : undefined;
    if (arrived !== undefined) timings.push({ sentAt: Number(at), latencyMs: arrived - Number(at), answeredMs: Number(answered) });
  }
  return timings;
}

/** The `q` quantile (0–1) of values sorted ascending, by the nearest-rank rule every bench here uses; NaN for none. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(sorted.length * q)] ?? NaN;
}

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** What a results file that does not exist yet starts with (e.g. `--out /tmp/x.md` to look at one run). */
const NEW_RESULTS_FILE = '# Benchmark results\n\nEach section is written by its benchmark script.\n';

/**
 * Put `section`, which starts with its `## ` heading, into the results file: in place of the section under the
 * same heading (up to the next `## `), else at the end. A file that does not exist yet is started.
 */
export function writeResultsSection(file: string, section: string): void {
  const heading = section.trimStart().split('\n', 1)[0]!;
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : NEW_RESULTS_FILE;
  const marker = new RegExp(`${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\\S]*?(?=\\n## |$)`);
  const body = section.trim() + '\n';
  // A function, not a string: `$` in the section's text is not a replacement pattern.
  const updated = marker.test(existing) ? existing.replace(marker, () => body) : `${existing.trimEnd()}\n\n${body}`;
  writeFileSync(file, updated);
  console.log(`written to ${file}`);
}

/** Add `text` (a dated section of its own) at the end of the results file, starting the file if there is none. */
export function appendResults(file: string, text: string): void {
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : NEW_RESULTS_FILE;
  writeFileSync(file, `${existing.trimEnd()}\n\n${text.trim()}\n`);
  console.log(`written to ${file}`);
}
