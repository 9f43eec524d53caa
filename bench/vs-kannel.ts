/**
 * telenode against Kannel, side by side on this machine: the same SMSC (`telenode smsc-sim`, its own
 * process), the same HTTP load driver (bench/ozeki-load.mjs, 50 keep-alive connections; Kannel's
 * /cgi-bin/sendsms or telenode's Ozeki /api), the same callback receiver (here), the same window (100) and
 * one bind each; runs alternate Kannel and telenode so the machine's drift hits both alike. The driver warms its own
 * code first (2,000 requests to a server of its own) and the clocks start after that, for either gateway.
 *
 * Kannel is Debian's `kannel` (bearerbox + smsbox, file store). This script installs nothing: without
 * bearerbox on PATH it says how to get it and runs telenode alone.
 *
 *   npm run bench:vs-kannel                             # 3 pairs of each scenario, 20,000 messages
 *   npm run bench:vs-kannel -- --pairs 1 --messages 5000 --only receipts
 *   npm run bench:vs-kannel -- --only no-receipts,receipts
 *   npm run bench:vs-kannel -- --only receipts --receipt-delay 5000   # receipts 5 s after the submit, as a carrier's
 *
 * Scenarios:
 *   no-receipts   HTTP → SMPP: messages/s until the SMSC has them all
 *   receipts      with receipts and a delivery callback per message: completed/s (callback received)
 *   paced-500     500 msg/s open loop with receipts, from a freshly started gateway: request → callback p50/p99
 *   quiet-10      10 msg/s with receipts, as most nodes run most of the day: request → callback p50/p99 (a fresh
 *                 node's first 30 s; bench/quiet-settle.ts follows a quiet node for minutes)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kannelAvailable, startKannel, type Running } from './kannel.js';
import {
  callbackSink,
  callbackTimings,
  cpuMs,
  deviceWrites,
  machineCpuMs,
  metrics,
  freePort,
  peakRssMb,
  runDriver,
  spawnUntil,
  stop,
  waitFor,
  type CallbackSink,
  median,
  quantile,
  settleBetweenRuns,
  startBenchDaemon,
  summed,
  writeResultsSection,
} from './bench-lib.js';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '3' },
    messages: { type: 'string', default: '20000' },
    only: { type: 'string' },
    out: { type: 'string', default: 'bench/RESULTS.md' },
    window: { type: 'string', default: '100' },
    // When the simulator sends each receipt after the submit (ms): 10 by default; a carrier's come seconds later, and a
    // gateway then holds every message in between.
    'receipt-delay': { type: 'string', default: '10' },
    // telenode's store.commitIntervalMs (decision 0110); without it, the product's default, which is what users run.
    'commit-interval': { type: 'string' },
    // telenode's warmUp.messages at start (decision 0117); without it, the product's default.
    'warm-up': { type: 'string' },
    // One gateway only (kannel|telenode), e.g. to look into one side's figures.
    gateway: { type: 'string' },
    // Write each message's request → callback latency, in send order ("<ms since the first send> <latency ms> <ms to
    // the API's answer>"), to <trace>-<gateway>-<scenario>-<pair>.txt: where the slow ones are in time, and whether
    // before or after the answer, says what stalled.
    trace: { type: 'string' },
  },
});
const PAIRS = Number(values.pairs);
const MESSAGES = Number(values.messages);
const WINDOW = Number(values.window);
const RECEIPT_DELAY_MS = Number(values['receipt-delay']);
const COMMIT_INTERVAL = values['commit-interval'] === undefined ? undefined : Number(values['commit-interval']);
const WARM_UP = values['warm-up'] === undefined ? undefined : Number(values['warm-up']);
const CONNECTIONS = 50;
/** Requests the load driver sends to a server of its own before each run (bench/ozeki-load.mjs --warm). */
const DRIVER_WARM_UP = 2_000;
const PACED_RATE = 500;
const PACED_COUNT = 10_000;
const QUIET_RATE = 10;
const QUIET_COUNT = 300;
const CLI = join(process.cwd(), 'dist/cli/main.js');
const PASSWORD = 'bench';

type Gateway = 'kannel' | 'telenode';
const SCENARIOS = ['no-receipts', 'receipts', 'paced-500', 'quiet-10'] as const;
type Scenario = (typeof SCENARIOS)[number];
type Figures = Record<string, number>;

async function startTelenode(dir: string, smscPort: number, receipts: boolean): Promise<Running> {
  const { daemon, base } = await startBenchDaemon(dir, { smscPort, receipts, window: WINDOW, commitIntervalMs: COMMIT_INTERVAL, warmUpMessages: WARM_UP });
  return { pids: [daemon.pid!], base, stop: () => stop(daemon) };
}

/** smsc-sim with a counters line every 100 ms; `submits()` is its latest count. */
async function startSmsc(receipts: boolean): Promise<{ child: ChildProcess; port: number; submits: () => number }> {
  const port = await freePort();
  const child = await spawnUntil(
    [CLI, 'smsc-sim', '--port', String(port), '--id-format', 'hex', '--receipt-delay', receipts ? String(RECEIPT_DELAY_MS) : '0', '--status-interval', '0.1'],
    /SMSC simulator/i,
    'smsc-sim',
  );
  let submits = 0;
  child.stdout!.on('data', (d: Buffer) => {
    const all = [...d.toString().matchAll(/submits (\d+)/g)];
    if (all.length > 0) submits = Number(all[all.length - 1]![1]);
  });
  return { child, port, submits: () => submits };
}

async function run(gateway: Gateway, scenario: Scenario, pair: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${gateway}-`));
  const receipts = scenario !== 'no-receipts';
  const smsc = await startSmsc(receipts);
  let sink: CallbackSink | null = null;
  let gw: Running | null = null;
  try {
    gw = gateway === 'kannel' ? await startKannel(dir, smsc.port, { window: WINDOW, password: PASSWORD }) : await startTelenode(dir, smsc.port, receipts);
    sink = receipts ? await callbackSink() : null;
    const ids = join(dir, 'ids.txt');
    const args = ['--url', gw.base, '--dialect', gateway === 'kannel' ? 'kannel' : 'ozeki', '--user', 'bench', '--password', PASSWORD, '--ids', ids];
    if (sink) args.push('--report', sink.url);
    const count = scenario === 'paced-500' ? PACED_COUNT : scenario === 'quiet-10' ? QUIET_COUNT : MESSAGES;
    const pacing: Partial<Record<Scenario, string[]>> = {
      'paced-500': ['--rate', String(PACED_RATE), '--concurrency', '256'],
      'quiet-10': ['--rate', String(QUIET_RATE), '--concurrency', '16'],
    };
    // The clocks start once the driver has warmed its own code (on loopback, against a server of its own): the run
    // then measures the gateway starting cold, not the driver too.
    const pids = gw.pids;
    const snapshot = () => ({
      cpu: summed(pids, cpuMs),
      bytes: summed(pids, (pid) => deviceWrites(pid).deviceBytes),
      machine: machineCpuMs(),
      at: Date.now(),
    });
    let before = null as ReturnType<typeof snapshot> | null; // set by onReady
    const driverArgs = [...args, '--count', String(count), ...(pacing[scenario] ?? ['--concurrency', String(CONNECTIONS)])];
    const result = await runDriver(driverArgs, { requests: DRIVER_WARM_UP, onReady: () => (before = snapshot()) });
    if (!before) throw new Error('the load driver never said it was ready');
    const { cpu: cpuBefore, bytes: bytesBefore, machine: machineBefore, at: started } = before;
    const ok = count - result.failed;
    const doneAt = sink ? await waitFor(() => sink!.arrivals.size >= ok, 600_000) : await waitFor(() => smsc.submits() >= ok, 600_000);
    const cpu = summed(gw.pids, cpuMs) - cpuBefore;
    const bytes = summed(gw.pids, (pid) => deviceWrites(pid).deviceBytes) - bytesBefore;
    const machineAfter = machineCpuMs();
    const machineBusy = machineAfter.busy - machineBefore.busy;
    const figures: Figures = {
      perSecond: ok / ((doneAt - started) / 1000),
      failed: result.failed,
      cpuMsPerMsg: cpu / ok,
      deviceKbPerMsg: bytes / 1024 / ok,
      // The rest of the machine: the SMSC, the driver, the callback receiver (and whatever else ran). When the
      // machine is near 100 % busy, throughput is (cores) / (gateway + rig CPU per message), whatever the gateway.
      rigCpuMsPerMsg: (machineBusy - cpu) / ok,
      machineBusyPct: (100 * machineBusy) / (machineAfter.total - machineBefore.total),
      peakRssMb: summed(gw.pids, peakRssMb),
    };
    // What this machine would move with every core busy, at this run's CPU a message (the gateway's and the rest's):
    // the most any gateway with those costs could reach here, however well it spread its work over the cores.
    figures['perSecondAtFullMachine'] = (cpus().length * 1000) / (figures['cpuMsPerMsg']! + figures['rigCpuMsPerMsg']!);
    // Store transactions per message: each one is a commit and an fsync, so at a paced rate this is most of the cost.
    if (gateway === 'telenode') figures['commitsPerMsg'] = (await metrics(gw.base, 'telenode_store_commits_total'))[0]! / count;
    if (sink) {
      const timings = callbackTimings(ids, sink.arrivals);
      if (values.trace) {
        const trace = timings.map((t) => `${t.sentAt - started} ${t.latencyMs} ${t.answeredMs}`);
        writeFileSync(`${values.trace}-${gateway}-${scenario}-${pair}.txt`, trace.join('\n') + '\n');
      }
      const latencies = timings.map((t) => t.latencyMs).sort((a, b) => a - b);
      figures['callbackP50Ms'] = quantile(latencies, 0.5);
      figures['callbackP99Ms'] = quantile(latencies, 0.99);
    }
    return figures;
  } finally {
    await gw?.stop();
    await stop(smsc.child);
    sink?.server.close();
    rmSync(dir, { recursive: true, force: true });
    await settleBetweenRuns();
  }
}

async function main(): Promise<void> {
  const withKannel = kannelAvailable();
  if (!withKannel) console.log('Kannel not found (bearerbox/smsbox). Debian: apt-get install kannel. Running telenode alone.');
  const scenarios = chosenScenarios(values.only);
  const gateways: Gateway[] = (withKannel ? (['kannel', 'telenode'] as Gateway[]) : (['telenode'] as Gateway[])).filter(
    (g) => values.gateway === undefined || g === values.gateway,
  );
  const results: Record<string, Figures[]> = {};
  for (const scenario of scenarios) {
    for (let pair = 1; pair <= PAIRS; pair++) {
      for (const gateway of pair % 2 === 1 ? gateways : [...gateways].reverse()) {
        const figures = await run(gateway, scenario, pair);
        (results[`${gateway} ${scenario}`] ??= []).push(figures);
        console.log(`${scenario} pair ${pair} ${gateway}: ${JSON.stringify(figures)}`);
      }
    }
  }
  writeResults(results, scenarios, withKannel);
}

/** `--only a,b`: those scenarios, in the order given; all of them without it. A name it does not know is an error. */
function chosenScenarios(only: string | undefined): Scenario[] {
  if (only === undefined) return [...SCENARIOS];
  const names = only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`--only: unknown scenario ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
  return names as Scenario[];
}

function writeResults(results: Record<string, Figures[]>, scenarios: Scenario[], withKannel: boolean): void {
  const cell = (gateway: Gateway, scenario: Scenario, key: string, digits = 0) => {
    const runs = results[`${gateway} ${scenario}`];
    if (!runs) return '–';
    return `${median(runs.map((r) => r[key]!)).toFixed(digits)} (${runs.map((r) => r[key]!.toFixed(digits)).join(', ')})`;
  };
  const ratio = (scenario: Scenario, key: string, inverse = false) => {
    const k = results[`kannel ${scenario}`];
    const t = results[`telenode ${scenario}`];
    if (!k || !t) return '–';
    const r = median(t.map((x, i) => (inverse ? k[i]![key]! / x[key]! : x[key]! / k[i]![key]!)));
    return r.toFixed(2);
  };
  const rows: string[] = [];
  const row = (label: string, scenario: Scenario, key: string, digits = 0, inverse: boolean | 'no ratio' = false) =>
    scenarios.includes(scenario) &&
    rows.push(
      `| ${label} | ${cell('kannel', scenario, key, digits)} | ${cell('telenode', scenario, key, digits)} | ${inverse === 'no ratio' ? '' : ratio(scenario, key, inverse)} |`,
    );
  row('HTTP → SMPP, no receipts (msg/s)', 'no-receipts', 'perSecond');
  row('with receipts and callbacks, completed (msg/s)', 'receipts', 'perSecond');
  row('CPU per message, no receipts (ms)', 'no-receipts', 'cpuMsPerMsg', 3, true);
  row('CPU per message, with receipts (ms)', 'receipts', 'cpuMsPerMsg', 3, true);
  row('rest of the machine (SMSC, driver, receiver) CPU per message, no receipts (ms)', 'no-receipts', 'rigCpuMsPerMsg', 3, 'no ratio');
  row('rest of the machine (SMSC, driver, receiver) CPU per message, with receipts (ms)', 'receipts', 'rigCpuMsPerMsg', 3, 'no ratio');
  row('machine busy during the run, no receipts (%)', 'no-receipts', 'machineBusyPct', 0, 'no ratio');
  row('machine busy during the run, with receipts (%)', 'receipts', 'machineBusyPct', 0, 'no ratio');
  // cores ÷ (gateway + rest CPU a message): the ratio here is the most the throughput ratio could be on this machine
  // at these CPU costs, if each gateway kept every core busy.
  row('msg/s with every core busy at these CPU costs, no receipts', 'no-receipts', 'perSecondAtFullMachine');
  row('msg/s with every core busy at these CPU costs, with receipts', 'receipts', 'perSecondAtFullMachine');
  row('request → callback p50, flat out (ms)', 'receipts', 'callbackP50Ms', 0, true);
  row('request → callback p99, flat out (ms)', 'receipts', 'callbackP99Ms', 0, true);
  row(`request → callback p50 at a paced ${PACED_RATE} msg/s (ms)`, 'paced-500', 'callbackP50Ms', 0, true);
  row(`request → callback p99 at a paced ${PACED_RATE} msg/s (ms)`, 'paced-500', 'callbackP99Ms', 0, true);
  // At a paced rate every message is a few wake-ups of its own (no batching): the cost a message is not the flat-out one.
  row(`CPU per message at a paced ${PACED_RATE} msg/s (ms)`, 'paced-500', 'cpuMsPerMsg', 3, true);
  row(`request → callback p50 at a quiet ${QUIET_RATE} msg/s (ms)`, 'quiet-10', 'callbackP50Ms', 0, true);
  row(`request → callback p99 at a quiet ${QUIET_RATE} msg/s (ms)`, 'quiet-10', 'callbackP99Ms', 0, true);
  // A fresh node's first 30 s: V8 optimises at this rate over minutes (bench/quiet-settle.ts).
  row(`CPU per message at a quiet ${QUIET_RATE} msg/s, the first 30 s (ms)`, 'quiet-10', 'cpuMsPerMsg', 3, true);
  // Kannel's file store is written without an fsync a message (it may lose what it accepted on a crash); telenode's
  // every commit is on disk before the answer. At a paced rate each of telenode's messages is a commit of its own.
  row('written to the device a message, with receipts, flat out (KiB)', 'receipts', 'deviceKbPerMsg', 1, true);
  row(`written to the device a message at a paced ${PACED_RATE} msg/s (KiB)`, 'paced-500', 'deviceKbPerMsg', 1, true);
  // Quiet, every commit carries one message's step: each B-tree it touches is a page in the WAL and again in the checkpoint.
  row(`written to the device a message at a quiet ${QUIET_RATE} msg/s (KiB)`, 'quiet-10', 'deviceKbPerMsg', 1, true);
  row('peak RSS, no receipts (MiB)', 'no-receipts', 'peakRssMb', 0, true);
  row('peak RSS, with receipts (MiB)', 'receipts', 'peakRssMb', 0, true);
  const section = `## telenode vs Kannel (bench/vs-kannel.ts)

- **Date:** ${new Date().toISOString().slice(0, 10)}
- **Machine:** ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}
- **Setup:** ${withKannel ? 'Kannel 1.4 (bearerbox + smsbox, file store, DLRs in memory)' : 'Kannel not installed: telenode alone'} and telenode (SQLite,
  \`synchronous=FULL\`, \`store.commitIntervalMs\` ${COMMIT_INTERVAL ?? 'at its default'}, \`warmUp.messages\` ${WARM_UP ?? 'at its default'}, the environment of systemd/telenode.service), each with one SMPP bind and window ${WINDOW} to the same \`telenode smsc-sim\` (receipts after
  ${RECEIPT_DELAY_MS} ms); the same load driver (${CONNECTIONS} keep-alive connections) and callback receiver; ${MESSAGES} messages a run
  (${PACED_COUNT} for the paced runs, from a freshly started gateway; ${QUIET_COUNT} at ${QUIET_RATE} msg/s for the quiet ones); ${PAIRS} pairs per scenario, alternating which
  gateway goes first. **Median** first, runs in brackets; the ratio is the median of the pairs' ratios, telenode
  over Kannel for speed and Kannel over telenode for costs (above 1: telenode is better).
  RSS of Kannel is bearerbox's plus smsbox's. "With every core busy" is the cores over the CPU a message of the
  gateway and of the rest of the machine together: what each could move here if it kept every core busy at the
  costs it had, so the ratio of those is the most the ratio of speeds could be on this machine at these costs.

| | Kannel | telenode | telenode's advantage |
| --- | --- | --- | --- |
${rows.join('\n')}
`;
  writeResultsSection(values.out!, section);
}

await main();
