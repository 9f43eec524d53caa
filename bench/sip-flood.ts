/**
 * What a flood of SIP requests the node refuses or answers outside a call costs it: OPTIONS (anyone's keep-alive or
 * scan) and INVITEs from an address outside `voice.builtin.allow`, each with a branch and Call-ID of its own, sent
 * over UDP at a steady rate to a daemon (dist/, its own process). Counted: the answers that come back per request
 * (a refusal kept in a transaction is sent again until an ACK that never comes), the daemon's RSS growth and peak.
 * With `--baseline <checkout>` (another commit's worktree, dist/ built) the two run alternately in the same run.
 * Run with `npx tsx bench/sip-flood.ts [--requests 20000] [--rate 5000] [--runs 2] [--baseline ../old] [--out bench/RESULTS.md]`.
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median, peakRssMb, startDaemonOnConfig, stop, writeResultsSection } from './bench-lib.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '2' },
    baseline: { type: 'string' },
    out: { type: 'string' },
  },
});
const REQUESTS = Number(values.requests);
const RATE = Number(values.rate);
const RUNS = Number(values.runs);
/** How long answers are counted after the last request: past Timer G's fourth resend (7.5 s), short of Timer H (32 s). */
const LISTEN_AFTER_MS = 10_000;

type Kind = 'OPTIONS' | 'INVITE outside the allow list';

interface RunResult {
  checkout: string;
  kind: Kind;
  answersPerRequest: number;
  rssGrowthMb: number;
  peakMb: number;
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function run(checkout: string, kind: Kind): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'telenode-sip-flood-'));
  const sipPort = await freeUdpPort();
  const { daemon, base } = await startDaemonOnConfig(
    dir,
    {
      store: { path: join(dir, 'telenode.db') },
      log: { level: 'error' },
      voice: { builtin: { port: sipPort, transports: ['udp'], allow: kind === 'OPTIONS' ? [] : ['10.0.0.0/8'] } },
    },
    checkout,
  );
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const self = `127.0.0.1:${socket.address().port}`;
    let answers = 0;
    socket.on('message', () => answers++);
    const method = kind === 'OPTIONS' ? 'OPTIONS' : 'INVITE';
    const request = (n: number) =>
      `${method} sip:100@127.0.0.1:${sipPort} SIP/2.0\r\nVia: SIP/2.0/UDP ${self};branch=z9hG4bK-flood-${n}\r\nFrom: <sip:scan@${self}>;tag=${n}\r\n` +
      `To: <sip:100@127.0.0.1>\r\nCall-ID: flood-${n}\r\nCSeq: 1 ${method}\r\nContact: <sip:scan@${self}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    const pid = daemon.pid!;
    await fetch(`${base}/health`);
    const before = rssMb(pid);
    const started = Date.now();
    // At RATE a second, in 10 ms steps: a steady flood, not one burst the socket's buffer would drop.
    for (let sent = 0; sent < REQUESTS;) {
      const due = Math.min(REQUESTS, Math.floor(((Date.now() - started) * RATE) / 1000) + 1);
      for (; sent < due; sent++) socket.send(request(sent), sipPort, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, LISTEN_AFTER_MS));
    return { checkout, kind, answersPerRequest: answers / REQUESTS, rssGrowthMb: rssMb(pid) - before, peakMb: peakRssMb(pid) };
  } finally {
    socket.close();
    await stop(daemon);
    rmSync(dir, { recursive: true, force: true });
  }
}

const checkouts = [process.cwd(), ...(values.baseline ? [values.baseline] : [])];
const results: RunResult[] = [];
for (let i = 0; i < RUNS; i++) {
  for (const kind of ['OPTIONS', 'INVITE outside the allow list'] as const) {
    for (const checkout of i % 2 === 0 ? checkouts : [...checkouts].reverse()) {
      const result = await run(checkout, kind);
      results.push(result);
      console.log(
        `${checkout === process.cwd() ? 'this' : 'baseline'} ${kind}: ${result.answersPerRequest.toFixed(2)} answers a request, RSS +${result.rssGrowthMb.toFixed(0)} MiB, peak ${result.peakMb.toFixed(0)} MiB`,
      );
    }
  }
}

const commit = (checkout: string) => execFileSync('git', ['-C', checkout, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const label = (checkout: string) => `${checkout === process.cwd() ? 'this checkout' : 'baseline'} (${commit(checkout)})`;
const rows = checkouts.flatMap((checkout) =>
  (['OPTIONS', 'INVITE outside the allow list'] as const).map((kind) => {
    const mine = results.filter((r) => r.checkout === checkout && r.kind === kind);
    return `| ${label(checkout)} | ${kind} | ${median(mine.map((r) => r.answersPerRequest)).toFixed(2)} | ${median(mine.map((r) => r.rssGrowthMb)).toFixed(0)} | ${median(mine.map((r) => r.peakMb)).toFixed(0)} |`;
  }),
);
const table = [
  `${REQUESTS} requests at ${RATE}/s over UDP, answers counted until ${LISTEN_AFTER_MS / 1000} s after the last; medians of ${RUNS} runs.`,
  '',
  '| daemon | requests | answers a request | RSS growth (MiB) | peak RSS (MiB) |',
  '| --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');
console.log(`\n${table}`);
if (values.out) {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  writeResultsSection(
    values.out,
    [
      '## SIP requests answered outside a call (bench/sip-flood.ts)',
      '',
      `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${when} UTC. OPTIONS (anyone's keep-alive or scan) and INVITEs from an address`,
      'outside `voice.builtin.allow`, each with a Call-ID of its own, to a daemon on its defaults otherwise. An answer kept in',
      "a SIP transaction stays 32 s, and an INVITE's refusal over UDP is sent again until an ACK that never comes; a",
      'stateless answer (decision 0141) is sent once and nothing is kept.',
      '',
      table,
    ].join('\n'),
  );
}
