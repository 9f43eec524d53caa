/**
 * Call load benchmark: the real daemon (dist/, its own process) answers
 * calls from sipp (its own process) with a cached ~2 s prompt and hangs up.
 * Measures calls per second and concurrent calls with no failed call, RTP
 * pacing error p50/p99 (from the daemon's own media clock), CPU and RSS per
 * call. Our RTP goes to a UDP sink here, which counts every packet.
 *
 *   npm run bench:calls                       # 3 runs per rate, medians to bench/RESULTS.md
 *   npm run bench:calls -- --runs 1 --seconds 10 --rates 100
 *   DRACHTIO_HOST=… DRACHTIO_SIP=… npm run bench:calls -- --engine drachtio
 *   npm run bench:calls -- --script test/fixtures/ozml/seed-002.xml   # every call runs this OzML file
 *
 * With --script, each call runs that OzML file (a voice.routes entry for any
 * number) instead of the built-in greeting; seed 002's SendSms goes through
 * the outbox to the in-process simulator connector, like an SMS sent over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { basename, join, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { hashPassword } from '../src/shared/password-hash.js';
import { writeResultsSection } from './bench-lib.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '15' },
    rates: { type: 'string', default: '200,260' },
    engine: { type: 'string', default: 'builtin' },
    out: { type: 'string', default: 'bench/RESULTS.md' },
    'node-flags': { type: 'string', default: '' },
    script: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const RATES = values.rates!.split(',').map(Number);
const ENGINE = values.engine as 'builtin' | 'drachtio';
const NODE_FLAGS = values['node-flags']!.split(' ').filter(Boolean);
const SCRIPT = values.script ? resolvePath(values.script) : null;
const CLI = join(process.cwd(), 'dist/cli/main.js');
const SCENARIO = join(process.cwd(), 'test/fixtures/sipp/uac-listen.xml');
const PROMPT = 'Thank you for calling. Your payment was received.';
const CLOCK_TICKS = 100; // USER_HZ on Linux

interface RunResult {
  rate: number;
  calls: number;
  successful: number;
  failed: number;
  achievedCps: number;
  peakConcurrent: number;
  firstSendP50Ms: number;
  firstSendP99Ms: number;
  lastSendP50Ms: number;
  lastSendP99Ms: number;
  cpuMsPerCall: number;
  cpuPercent: number;
  peakRssMb: number;
  rssKbPerCall: number;
  packetsPerCall: number;
}

function procStat(pid: number): { cpuTicks: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuTicks, rssKb };
}

async function startDaemon(dir: string): Promise<{ child: ChildProcess; http: string; sip: string }> {
  const drachtio =
    ENGINE === 'drachtio'
      ? { host: process.env['DRACHTIO_HOST']!, port: Number(process.env['DRACHTIO_PORT'] ?? 9022), secret: process.env['DRACHTIO_SECRET'] ?? 'cymru' }
      : undefined;
  const config = {
    http: { host: '127.0.0.1', port: 0 },
    store: { path: join(dir, 'telenode.db') },
    // info, the production default: two log lines per call are part of what a call costs.
    log: { level: 'info' },
    users: [{ username: 'bench', passwordHash: hashPassword('bench') }],
    voice: {
      engine: ENGINE,
      builtin: { port: 0 },
      ...(drachtio ? { drachtio } : {}),
      rtp: { portMin: 20000, portMax: 39999 },
      // What the node can carry, not the product's default cap (2,000): as many calls as the RTP range holds.
      maxCalls: 10_000,
      greeting: PROMPT,
      ...(SCRIPT ? { routes: [{ match: '*', file: SCRIPT }] } : {}),
    },
  };
  const file = join(dir, 'telenode.yaml');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [...NODE_FLAGS, CLI, 'start', '--config', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"telenode started"'));
      if (line) {
        clearTimeout(timer);
        const started = JSON.parse(line) as { http: string; sip: string[] };
        const sip = ENGINE === 'drachtio' ? process.env['DRACHTIO_SIP']! : started.sip[0]!.split(':').slice(1).join(':');
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ child, http: started.http, sip });
      }
    });
  });
}

function runSipp(target: string, sinkPort: number, rate: number, calls: number, dir: string): Promise<{ successful: number; failed: number; seconds: number }> {
  const started = Date.now();
  const args = [
    '-sf',
    SCENARIO,
    '-i',
    '127.0.0.1',
    '-mi',
    '127.0.0.1',
    '-p',
    '0',
    '-t',
    'u1',
    '-r',
    String(rate),
    '-m',
    String(calls),
    '-l',
    '3000',
    '-timeout',
    `${SECONDS * 4 + 30}s`,
    '-nostdin',
    '-trace_screen',
    '-screen_file',
    join(dir, 'screen.log'),
    '-key',
    'rtp_port',
    String(sinkPort),
    '-key',
    'caller',
    '100',
    '-key',
    'codec',
    '0',
    target,
  ];
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('close', () => {
      let screen = '';
      try {
        screen = readFileSync(join(dir, 'screen.log'), 'utf8');
      } catch {
        reject(new Error(`sipp left no screen log: ${stderr}`));
        return;
      }
      const count = (label: string) => Number(new RegExp(`${label}\\s*\\|[^|]*\\|\\s*(\\d+)`).exec(screen)?.[1] ?? NaN);
      resolve({ successful: count('Successful call'), failed: count('Failed call'), seconds: (Date.now() - started) / 1000 });
    });
  });
}

async function metric(http: string, name: string, quantile: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const match = new RegExp(`^${name}\\{quantile="${quantile}"\\} ([0-9.eE+-]+|NaN)`, 'm').exec(text);
  return match ? Number(match[1]) * 1000 : NaN;
}

async function runOnce(rate: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'telenode-callbench-'));
  const sink = createSocket('udp4');
  let packets = 0;
  // When each call's first RTP packet arrived (by SSRC: one per call): answered calls per second, seen from the far end.
  const firstSeen = new Map<number, number>();
  sink.on('message', (packet: Buffer) => {
    packets++;
    const ssrc = packet.readUInt32BE(8);
    if (!firstSeen.has(ssrc)) firstSeen.set(ssrc, performance.now());
  });
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  sink.setRecvBufferSize(16 * 1024 * 1024); // ~30,000 packets/s at 600 calls: the default buffer drops some
  const sinkPort = sink.address().port;
  const daemon = await startDaemon(dir);
  const pid = daemon.child.pid!;
  try {
    await runSipp(daemon.sip, sinkPort, 1, 1, dir); // warm-up: synthesise and cache the prompts
    packets = 0;
    firstSeen.clear();
    const before = procStat(pid);
    let peakRss = before.rssKb;
    let peakConcurrent = 0;
    const poll = setInterval(async () => {
      peakRss = Math.max(peakRss, procStat(pid).rssKb);
      try {
        const health = (await (await fetch(`${daemon.http}/health`)).json()) as { voice?: { activeCalls: number } };
        peakConcurrent = Math.max(peakConcurrent, health.voice?.activeCalls ?? 0);
      } catch {
        // the daemon is busy; the next poll will do
      }
    }, 100);
    const calls = rate * SECONDS;
    const sipp = await runSipp(daemon.sip, sinkPort, rate, calls, dir);
    clearInterval(poll);
    const after = procStat(pid);
    const cpuMs = ((after.cpuTicks - before.cpuTicks) / CLOCK_TICKS) * 1000;
    return {
      rate,
      calls,
      successful: sipp.successful,
      failed: sipp.failed,
      achievedCps: answeredPerSecond([...firstSeen.values()]),
      peakConcurrent,
      firstSendP50Ms: await metric(daemon.http, 'telenode_rtp_first_send_lateness_seconds', '0.5'),
      firstSendP99Ms: await metric(daemon.http, 'telenode_rtp_first_send_lateness_seconds', '0.99'),
      lastSendP50Ms: await metric(daemon.http, 'telenode_rtp_last_send_lateness_seconds', '0.5'),
      lastSendP99Ms: await metric(daemon.http, 'telenode_rtp_last_send_lateness_seconds', '0.99'),
      cpuMsPerCall: cpuMs / Math.max(1, sipp.successful),
      cpuPercent: (cpuMs / (sipp.seconds * 1000)) * 100,
      peakRssMb: peakRss / 1024,
      rssKbPerCall: peakConcurrent > 0 ? (peakRss - before.rssKb) / peakConcurrent : 0,
      packetsPerCall: packets / Math.max(1, sipp.successful),
    };
  } finally {
    daemon.child.kill('SIGTERM');
    await new Promise((r) => daemon.child.once('exit', r));
    sink.close();
    for (const f of readdirSync(dir)) if (f.endsWith('.log')) rmSync(join(dir, f));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Calls whose media started, per second, between the first and the last one. */
function answeredPerSecond(startTimes: number[]): number {
  if (startTimes.length < 2) return 0;
  const sorted = [...startTimes].sort((a, b) => a - b);
  return ((sorted.length - 1) * 1000) / (sorted.at(-1)! - sorted[0]!);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function main(): Promise<void> {
  if (ENGINE === 'drachtio' && !(process.env['DRACHTIO_HOST'] && process.env['DRACHTIO_SIP'])) {
    console.log('drachtio engine: skipped (set DRACHTIO_HOST and DRACHTIO_SIP)');
    return;
  }
  const results = new Map<number, RunResult[]>();
  for (const rate of RATES) {
    for (let run = 1; run <= RUNS; run++) {
      const r = await runOnce(rate);
      console.log(`${ENGINE} ${rate} cps run ${run}: ${JSON.stringify(r)}`);
      results.set(rate, [...(results.get(rate) ?? []), r]);
    }
  }
  const fmt = (rs: RunResult[], key: keyof RunResult, digits = 0) =>
    `${median(rs.map((r) => r[key])).toFixed(digits)} (runs: ${rs.map((r) => r[key].toFixed(digits)).join(', ')})`;
  const rows = (label: string, key: keyof RunResult, digits = 0) => `| ${label} | ${RATES.map((rate) => fmt(results.get(rate)!, key, digits)).join(' | ')} |`;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}`;
  const title = SCRIPT
    ? `## Calls, ${ENGINE} engine, running ${basename(SCRIPT)} (bench/call-load.ts --script)`
    : `## Calls, ${ENGINE} engine (bench/call-load.ts)`;
  const what = SCRIPT
    ? `each call is answered and runs the OzML script \`${basename(SCRIPT)}\` (its prompts synthesised once and cached; its\n  SendSms accepted into the outbox and sent to the in-process simulator connector), then is hung up by telenode.`
    : `each call is answered,\n  hears the cached prompt "${PROMPT}" (~2 s of G.711 at 20 ms) and is hung up by telenode.`;
  const target = SCRIPT
    ? 'Target (issue #4): calls/s within 80% of the bare prompt-and-hang-up figure of the same engine.'
    : 'Targets (issue #3): ≥ 200 calls/s and ≥ 500 concurrent calls with no failed call, p99 pacing error ≤ 5 ms.';
  const section = `${title}

- **Date:** ${new Date().toISOString().slice(0, 10)}
- **Machine:** ${machine}; sipp ${'3.6.1'} on the same two cores
- **Setup:** daemon in its own process; sipp places calls at a fixed rate for ${SECONDS} s; ${what} Our RTP goes to a
  UDP sink in the benchmark process. Pacing error is measured by the daemon's media clock against the ideal
  20 ms grid: first packet of each tick (timer lateness) and last packet (after every call's frame is sent).
  Achieved calls/s: calls answered per second, from the first RTP packet of each call (its SSRC) at the sink.
  sipp, the RTP sink and (for drachtio) drachtio-server share the daemon's two cores.
  ${RUNS} runs per rate, **median** first.

| Figure | ${RATES.map((r) => `${r} calls/s offered`).join(' | ')} |
| --- | ${RATES.map(() => '---').join(' | ')} |
${rows('Calls completed', 'successful')}
| Failed calls | ${RATES.map((rate) => fmt(results.get(rate)!, 'failed')).join(' | ')} |
${rows('Achieved calls/s', 'achievedCps')}
${rows('Peak concurrent calls', 'peakConcurrent')}
${rows('Pacing error p50, first packet (ms)', 'firstSendP50Ms', 2)}
${rows('Pacing error p99, first packet (ms)', 'firstSendP99Ms', 2)}
${rows('Pacing error p50, last packet (ms)', 'lastSendP50Ms', 2)}
${rows('Pacing error p99, last packet (ms)', 'lastSendP99Ms', 2)}
${rows('CPU per call (ms)', 'cpuMsPerCall', 1)}
${rows('Daemon CPU (% of one core)', 'cpuPercent')}
${rows('Peak RSS (MiB)', 'peakRssMb')}
${rows('RSS per concurrent call (KiB)', 'rssKbPerCall')}
${rows('RTP packets received per call', 'packetsPerCall')}

${target}
`;
  writeResultsSection(values.out!, section);
}

await main();
