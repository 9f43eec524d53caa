/**
 * A quiet node over minutes: telenode and Kannel side by side at a low steady rate with receipts and a callback per
 * message, both at the same time (each with an SMSC simulator, a load driver and a callback receiver of its own, a
 * few per cent of the machine each), so that the machine's drift hits both alike. Every minute it reads the CPU a
 * message each gateway spent in that minute.
 *
 * Why minutes: `bench/vs-kannel.ts --only quiet-10` measures a freshly started node's first 30 s. At 10 msg/s V8
 * optimises the code a message runs only as each function reaches its call counts, which takes minutes, so that
 * figure is a node still warming up; most nodes run most of the day at such rates, long after their start.
 *
 *   npm run bench:quiet-settle                          # 10 minutes at 10 msg/s
 *   npm run bench:quiet-settle -- --minutes 3 --rate 20
 *
 * This script installs nothing: without bearerbox on PATH it says how to get Kannel and runs telenode alone.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  callbackSink,
  callbackTimings,
  cpuMs,
  freePort,
  peakRssMb,
  quantile,
  runDriver,
  spawnUntil,
  startBenchDaemon,
  stop,
  type CallbackSink,
  waitFor,
  summed,
  writeResultsSection,
} from './bench-lib.js';
import { kannelAvailable, startKannel, type Running } from './kannel.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '10' },
    out: { type: 'string', default: 'bench/RESULTS.md' },
  },
});
const MINUTES = Number(values.minutes);
const RATE = Number(values.rate);
const WINDOW = 100;
const PASSWORD = 'bench';
const CLI = join(process.cwd(), 'dist/cli/main.js');

type Gateway = 'kannel' | 'telenode';

interface Side {
  gateway: Gateway;
  dir: string;
  smsc: ChildProcess;
  running: Running;
  sink: CallbackSink;
  ids: string;
  driver: Promise<{ failed: number }>;
  /** CPU a message in each minute (ms). */
  perMinute: number[];
}

async function startSide(gateway: Gateway): Promise<Omit<Side, 'driver' | 'perMinute'>> {
  const dir = mkdtempSync(join(tmpdir(), `quiet-${gateway}-`));
  const port = await freePort();
  const smsc = await spawnUntil([CLI, 'smsc-sim', '--port', String(port), '--id-format', 'hex', '--receipt-delay', '10'], /SMSC simulator/i, 'smsc-sim');
  let running: Running;
  try {
    if (gateway === 'kannel') running = await startKannel(dir, port, { window: WINDOW, password: PASSWORD });
    else {
      const { daemon, base } = await startBenchDaemon(dir, { smscPort: port, receipts: true, window: WINDOW });
      running = { pids: [daemon.pid!], base, stop: () => stop(daemon) };
    }
  } catch (err) {
    await stop(smsc);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const sink = await callbackSink();
  return { gateway, dir, smsc, running, sink, ids: join(dir, 'ids.txt') };
}

function gatewayCpuMs(side: Pick<Side, 'running'>): number {
  return summed(side.running.pids, cpuMs);
}

async function main(): Promise<void> {
  const withKannel = kannelAvailable();
  if (!withKannel) console.log('Kannel not found (bearerbox/smsbox). Debian: apt-get install kannel. Running telenode alone.');
  const gateways: Gateway[] = withKannel ? ['kannel', 'telenode'] : ['telenode'];
  const count = MINUTES * 60 * RATE;
  const started: Omit<Side, 'driver' | 'perMinute'>[] = [];
  try {
    for (const gateway of gateways) started.push(await startSide(gateway));
    const sides: Side[] = started.map((side) => ({
      ...side,
      perMinute: [],
      driver: runDriver([
        ...['--url', side.running.base, '--dialect', side.gateway === 'kannel' ? 'kannel' : 'ozeki', '--user', 'bench', '--password', PASSWORD],
        ...['--ids', side.ids, '--report', side.sink.url, '--count', String(count), '--rate', String(RATE), '--concurrency', '16'],
      ]),
    }));
    // Awaited at the end; handled now too, so that a driver failing early leaves through the cleanup below.
    for (const side of sides) side.driver.catch(() => undefined);
    const t0 = Date.now();
    const last = sides.map((side) => ({ cpu: gatewayCpuMs(side), done: 0 }));
    for (let minute = 1; minute <= MINUTES; minute++) {
      await new Promise((resolve) => setTimeout(resolve, t0 + minute * 60_000 - Date.now()));
      sides.forEach((side, i) => {
        const cpu = gatewayCpuMs(side);
        const done = side.sink.arrivals.size;
        side.perMinute.push((cpu - last[i]!.cpu) / Math.max(1, done - last[i]!.done));
        last[i] = { cpu, done };
      });
      console.log(`minute ${minute}: ${sides.map((s) => `${s.gateway} ${s.perMinute.at(-1)!.toFixed(2)} ms a message`).join(', ')}`);
    }
    const results = [];
    for (const side of sides) {
      const { failed } = await side.driver;
      await waitFor(() => side.sink.arrivals.size >= count - failed, 60_000);
      const latencies = callbackTimings(side.ids, side.sink.arrivals)
        .map((t) => t.latencyMs)
        .sort((a, b) => a - b);
      results.push({
        gateway: side.gateway,
        perMinute: side.perMinute,
        failed,
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        peakRss: summed(side.running.pids, peakRssMb),
      });
    }
    writeResults(results);
  } finally {
    for (const side of started) {
      await side.running.stop();
      await stop(side.smsc);
      side.sink.server.close();
      rmSync(side.dir, { recursive: true, force: true });
    }
  }
}

function writeResults(results: { gateway: Gateway; perMinute: number[]; failed: number; p50: number; p99: number; peakRss: number }[]): void {
  const kannel = results.find((r) => r.gateway === 'kannel');
  const telenode = results.find((r) => r.gateway === 'telenode')!;
  const rows = telenode.perMinute.map((t, i) => {
    const k = kannel?.perMinute[i];
    return `| ${i + 1} | ${k === undefined ? '–' : k.toFixed(2)} | ${t.toFixed(2)} | ${k === undefined ? '–' : (k / t).toFixed(2)} |`;
  });
  const summary = (r: (typeof results)[number] | undefined) =>
    r ? `request → callback p50 ${r.p50} ms, p99 ${r.p99} ms, peak RSS ${r.peakRss.toFixed(0)} MiB, ${r.failed} failed requests` : '–';
  const section = `## A quiet node over minutes (bench/quiet-settle.ts)

- **Date:** ${new Date().toISOString().slice(0, 10)}
- **Machine:** ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}
- **Setup:** ${kannel ? 'Kannel 1.4 (bearerbox + smsbox, file store, DLRs in memory) and telenode' : 'Kannel not installed: telenode alone'} (SQLite,
  \`synchronous=FULL\`, its defaults, the environment of systemd/telenode.service) at the same time, each with one SMPP
  bind and window ${WINDOW} to a \`telenode smsc-sim\` of its own (receipts after 10 ms), its own load driver sending
  ${RATE} msg/s with a callback per message, and its own callback receiver, for ${MINUTES} minute${MINUTES === 1 ? '' : 's'} from a fresh start.
  CPU a message is each minute's CPU of the gateway's processes over the callbacks received in that minute; the
  ratio is Kannel over telenode (above 1: telenode is better).
- Kannel: ${summary(kannel)}. telenode: ${summary(telenode)}.

| minute | Kannel CPU a message (ms) | telenode CPU a message (ms) | telenode's advantage |
| --- | --- | --- | --- |
${rows.join('\n')}
`;
  writeResultsSection(values.out!, section);
}

await main();
