/**
 * What a message costs the daemon at the rate it comes in: one warmed-up daemon (dist/, its own process), the
 * real `telenode smsc-sim` (receipts after 10 ms) and the Ozeki load driver, with receipts and a callback per
 * message, sent open loop at each rate in turn; per message, the daemon's CPU (all threads and its main thread
 * alone), the main thread's context switches, store commits, and the simulator's CPU for contrast.
 *
 *   npm run bench:rate-cost                       # rates 25, 100, 400 msg/s and flat out, 3 rounds
 *   npm run bench:rate-cost -- --rounds 1 --rates 50,400 --seconds 5
 *   npm run bench:rate-cost -- --commit-intervals 0,5  # a daemon per store.commitIntervalMs, taking turns
 *
 * Why: flat out, a turn of the event loop carries many messages (one commit, one write per socket for all of
 * them); at a paced rate each message is several wake-ups of its own (the request, the commit's fsync coming
 * back, the submit_sm_resp, the receipt, the callback thread's answer, the deferred commit). A wake-up on a
 * shared two-core VM is dear, whoever wakes: the simulator, a few lines of code a message, shows the same climb.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfig } from '../src/config/load.js';
import {
  callbackSink,
  callbackTimings,
  cpuMs,
  deviceWrites,
  freePort,
  median,
  metrics,
  quantile,
  runDriver,
  spawnUntil,
  startBenchDaemon,
  stop,
  waitFor,
  type CallbackSink,
  writeResultsSection,
} from './bench-lib.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    // msg/s, comma-separated; 0 is flat out (50 connections, closed loop).
    rates: { type: 'string', default: '25,100,400,0' },
    seconds: { type: 'string', default: '10' },
    out: { type: 'string', default: 'bench/RESULTS.md' },
    // store.commitIntervalMs, comma-separated: one daemon each, all warmed up, taking turns at every rate.
    'commit-intervals': { type: 'string', default: String(defaultConfig().store.commitIntervalMs) },
  },
});
const ROUNDS = Number(values.rounds);
const RATES = values.rates!.split(',').map(Number);
const SECONDS = Number(values.seconds);
const INTERVALS = values['commit-intervals']!.split(',').map(Number);
const FLAT_OUT_COUNT = 5000;
const WARM_UP_COUNT = 2000;
const CLI = join(process.cwd(), 'dist/cli/main.js');

/** CPU ms and context switches (voluntary + involuntary) of one thread of a live process, from /proc. */
function thread(pid: number, tid: number): { cpuMs: number; switches: number } {
  const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
  const switches = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1]) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1]);
  return { cpuMs: cpuMs(pid, tid), switches };
}

type Figures = Record<string, number>;

/** Figures of each (rate, commit interval), in the order measured. */
type Results = Map<string, Figures[]>;
const key = (rate: number, interval: number) => `${rate} ${interval}`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'telenode-rate-cost-'));
  const sink = await callbackSink();
  // Each daemon its own simulator: an SMSC may send a receipt on any bind of the account, and one daemon cannot
  // match the other's.
  const children: ChildProcess[] = [];
  const results: Results = new Map();
  try {
    const senders = new Map<number, (count: number, rate: number) => Promise<Figures>>();
    for (const interval of INTERVALS) {
      const home = join(dir, `interval-${interval}`);
      mkdirSync(home);
      const smscPort = await freePort();
      const sim = await spawnUntil([CLI, 'smsc-sim', '--port', String(smscPort), '--id-format', 'hex', '--receipt-delay', '10'], /SMSC simulator/i, 'smsc-sim');
      children.push(sim);
      const started = await startBenchDaemon(home, { smscPort, receipts: true, window: 100, commitIntervalMs: interval });
      children.push(started.daemon);
      const send = sender(started.daemon.pid!, started.base, home, sim.pid!, sink);
      // A warmed-up daemon: what is measured is the cost at a rate, not a fresh start's compilation.
      await send(WARM_UP_COUNT, 0);
      senders.set(interval, send);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const rate of round % 2 === 1 ? RATES : [...RATES].reverse()) {
        for (const interval of round % 2 === 1 ? INTERVALS : [...INTERVALS].reverse()) {
          const figures = await senders.get(interval)!(rate > 0 ? Math.max(200, rate * SECONDS) : FLAT_OUT_COUNT, rate);
          results.set(key(rate, interval), [...(results.get(key(rate, interval)) ?? []), figures]);
          const label = `${rate > 0 ? `${rate} msg/s` : 'flat out'}${INTERVALS.length > 1 ? `, commit interval ${interval} ms` : ''}`;
          console.log(`round ${round} ${label}: ${JSON.stringify(figures)}`);
        }
      }
    }
  } finally {
    for (const child of children.reverse()) await stop(child);
    sink.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  writeResults(results);
}

/** Sends `count` messages to one daemon at `rate` (0: flat out) and measures what they cost it. */
function sender(pid: number, base: string, dir: string, simPid: number, sink: CallbackSink) {
  return async (count: number, rate: number): Promise<Figures> => {
    const before = {
      arrivals: sink.arrivals.size,
      main: thread(pid, pid),
      all: cpuMs(pid),
      sim: cpuMs(simPid),
      io: deviceWrites(pid),
      commits: (await metrics(base, 'telenode_store_commits_total'))[0]!,
    };
    const ids = join(dir, 'ids.txt');
    const pacing = rate > 0 ? ['--rate', String(rate), '--concurrency', '64'] : ['--concurrency', '50'];
    const result = await runDriver(['--url', base, '--count', String(count), '--report', sink.url, '--ids', ids, ...pacing]);
    const ok = count - result.failed;
    await waitFor(() => sink.arrivals.size >= before.arrivals + ok, 300_000);
    const main = thread(pid, pid);
    const written = deviceWrites(pid);
    const commits = (await metrics(base, 'telenode_store_commits_total'))[0]!;
    const latencies = callbackTimings(ids, sink.arrivals)
      .map((t) => t.latencyMs)
      .sort((a, b) => a - b);
    return {
      cpuMsPerMsg: (cpuMs(pid) - before.all) / ok,
      mainCpuMsPerMsg: (main.cpuMs - before.main.cpuMs) / ok,
      mainSwitchesPerMsg: (main.switches - before.main.switches) / ok,
      commitsPerMsg: (commits - before.commits) / ok,
      deviceKbPerMsg: (written.deviceBytes - before.io.deviceBytes) / 1024 / ok,
      writeCallsPerMsg: (written.writeCalls - before.io.writeCalls) / ok,
      simCpuMsPerMsg: (cpuMs(simPid) - before.sim) / ok,
      callbackP50Ms: quantile(latencies, 0.5),
      callbackP99Ms: quantile(latencies, 0.99),
      failed: result.failed,
    };
  };
}

function writeResults(results: Results): void {
  const cell = (runs: Figures[], key: string, digits: number) =>
    `${median(runs.map((r) => r[key]!)).toFixed(digits)} (${runs.map((r) => r[key]!.toFixed(digits)).join(', ')})`;
  const several = INTERVALS.length > 1;
  const rows = [...results].map(([k, runs]) => {
    const [rate, interval] = k.split(' ').map(Number) as [number, number];
    return `| ${rate > 0 ? `${rate} msg/s` : 'flat out'}${several ? ` | ${interval}` : ''} | ${cell(runs, 'cpuMsPerMsg', 2)} | ${cell(runs, 'mainCpuMsPerMsg', 2)} | ${cell(runs, 'mainSwitchesPerMsg', 1)} | ${cell(runs, 'commitsPerMsg', 2)} | ${cell(runs, 'deviceKbPerMsg', 1)} | ${cell(runs, 'writeCallsPerMsg', 1)} | ${cell(runs, 'simCpuMsPerMsg', 2)} | ${cell(runs, 'callbackP50Ms', 0)} | ${cell(runs, 'callbackP99Ms', 0)} |`;
  });
  const title = several
    ? 'CPU a message by rate and store.commitIntervalMs (bench/rate-cost.ts --commit-intervals)'
    : 'CPU a message by rate (bench/rate-cost.ts)';
  const section = `## ${title}

- **Date:** ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC
- **Machine:** ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}
- **Setup:** one daemon${several ? ` per \`store.commitIntervalMs\` (${INTERVALS.join(', ')} ms), taking turns,` : ''} (SQLite, \`synchronous=FULL\`${several ? '' : `, \`store.commitIntervalMs: ${INTERVALS[0]}\``}, one bind, window 100), warmed up with ${WARM_UP_COUNT} messages, then each
  rate in turn (${SECONDS} s of messages, at least 200; flat out: ${FLAT_OUT_COUNT} messages over 50 connections), receipts
  after 10 ms and a callback per message; ${ROUNDS} rounds, the order reversed every other round. **Median** first,
  rounds in brackets. CPU is user + system from /proc, in 10 ms ticks; writes from /proc/PID/io (\`write_bytes\`, \`syscw\`: the
  WAL, its checkpoints and fsyncs, and every socket write).

| rate${several ? ' | store.commitIntervalMs' : ''} | daemon CPU a message (ms) | of it the main thread (ms) | main thread context switches a message | store commits a message | written to the device a message (KiB) | write calls a message | smsc-sim CPU a message (ms) | request → callback p50 (ms) | p99 (ms) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |${several ? ' --- |' : ''}
${rows.join('\n')}
`;
  writeResultsSection(values.out!, section);
  console.log(section);
}

await main();
