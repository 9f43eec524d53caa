/**
 * Cluster benchmark (issue 17): messages/s with receipts and SMSDeliveryReport callbacks through
 *   sqlite-1    one node on SQLite (the embedded default)
 *   postgres-1  one node on PostgreSQL
 *   postgres-3  three nodes on one PostgreSQL, the load spread over the three, the carrier's binds shared
 * with the real `telenode smsc-sim`, the Ozeki load driver (one per node) and a callback receiver here.
 * Everything runs on this machine's two cores, so this shows the cost per message (CPU per message per
 * process, PostgreSQL's own CPU, commits and row changes per message), not scaling.
 *
 *   npm run bench:cluster                       # 2 rounds, 5,000 messages a run, medians to bench/RESULTS.md
 *   npm run bench:cluster -- --rounds 1 --messages 2000
 *   npm run bench:cluster -- --only postgres-3 --rate 150   # paced: 150 msg/s in all, latency rather than capacity
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { hashPassword } from '../src/shared/password-hash.js';
import { startPostgres, type PgServer } from '../test/helpers/postgres.js';
import {
  appendResults,
  callbackSink,
  callbackTimings,
  cpuMs,
  quantile,
  freePort,
  median,
  runDriver,
  settleBetweenRuns,
  spawnUntil,
  stop,
  waitFor,
  waitForHealthy,
} from './bench-lib.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    messages: { type: 'string', default: '5000' },
    only: { type: 'string' },
    /** Messages a second in all, spread evenly over the nodes (open loop); without it each node's driver goes flat out. */
    rate: { type: 'string' },
    out: { type: 'string', default: 'bench/RESULTS.md' },
  },
});
const ROUNDS = Number(values.rounds);
const MESSAGES = Number(values.messages);
const RATE = values.rate === undefined ? null : Number(values.rate);
const CLI = join(process.cwd(), 'dist/cli/main.js');
const PASSWORD_HASH = hashPassword('bench');
type Scenario = 'sqlite-1' | 'postgres-1' | 'postgres-3';
const SCENARIO_LABELS: Record<Scenario, string> = { 'sqlite-1': '1 node, SQLite', 'postgres-1': '1 node, PostgreSQL', 'postgres-3': '3 nodes, PostgreSQL' };

/** CPU of the postmaster and every backend it forked (live processes only). */
function postgresCpuMs(postmaster: number): number {
  let total = cpuMs(postmaster);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) total += cpuMs(Number(entry));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return total;
}

async function databaseCounters(url: string): Promise<{ commits: number; rows: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const row = (
      await client.query<{ c: string; r: string }>(
        'SELECT xact_commit AS c, tup_inserted + tup_updated + tup_deleted AS r FROM pg_stat_database WHERE datname = current_database()',
      )
    ).rows[0]!;
    return { commits: Number(row.c), rows: Number(row.r) };
  } finally {
    await client.end();
  }
}

/**
 * Until the carrier's binds are held by `holders` nodes, as a cluster settles (decision 0137), or 15 s: code from
 * before binds followed the nodes keeps them on the node that started first.
 */
async function bindsSpread(base: string, holders: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const health = (await (await fetch(`${base}/health`)).json()) as { cluster?: { binds?: Array<{ nodeId: string | null }> } };
    if (new Set((health.cluster?.binds ?? []).map((b) => b.nodeId).filter((id) => id !== null)).size >= holders) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runScenario(scenario: Scenario, server: PgServer): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'telenode-cluster-bench-'));
  const smscPort = await freePort();
  const sim = await spawnUntil([CLI, 'smsc-sim', '--port', String(smscPort), '--receipt-delay', '10'], /listening|SMSC simulator/i, 'smsc-sim');
  const nodeCount = scenario === 'postgres-3' ? 3 : 1;
  const url = scenario === 'sqlite-1' ? null : await server.createDatabase();
  const daemons: Array<{ child: ChildProcess; base: string }> = [];
  const sink = await callbackSink();
  try {
    for (let i = 0; i < nodeCount; i++) {
      const httpPort = await freePort();
      const config = {
        http: { host: '127.0.0.1', port: httpPort },
        store: url ? { type: 'postgres', url, poolSize: 8, path: join(dir, `n${i}`, 'telenode.db') } : { path: join(dir, 'telenode.db') },
        node: { id: `node-${i + 1}` },
        log: { level: 'warn' },
        users: [{ username: 'bench', passwordHash: PASSWORD_HASH }],
        sms: { requestReceipts: true },
        egress: { allow: ['127.0.0.1/32'] },
        voice: { builtin: { port: 0 } },
        connectors: [{ id: 'smsc', type: 'smpp', host: '127.0.0.1', port: smscPort, systemId: 'bench', password: 'bench', binds: 2, window: 200 }],
      };
      writeFileSync(join(dir, `n${i}.yaml`), JSON.stringify(config));
      const child = spawn(process.execPath, [CLI, 'start', '--config', join(dir, `n${i}.yaml`)], { stdio: ['ignore', 'ignore', 'inherit'] });
      const base = `http://127.0.0.1:${httpPort}`;
      await waitForHealthy(base);
      daemons.push({ child, base });
    }
    if (nodeCount > 1) await bindsSpread(daemons[0]!.base, Math.min(2, nodeCount));
    const before = { pg: server.pid ? postgresCpuMs(server.pid) : 0, db: url ? await databaseCounters(url) : null };
    const cpuAtStart = daemons.map((d) => cpuMs(d.child.pid!));
    const simAtStart = cpuMs(sim.pid!);
    const started = Date.now();
    const share = Math.ceil(MESSAGES / nodeCount);
    const idsFiles = daemons.map((_, i) => join(dir, `ids-${i}.txt`));
    const results = await Promise.all(
      daemons.map((d, i) =>
        runDriver([
          ...['--url', d.base, '--count', String(share), '--concurrency', String(Math.ceil(64 / nodeCount)), '--report', sink.url, '--ids', idsFiles[i]!],
          ...(RATE === null ? [] : ['--rate', String(RATE / nodeCount)]),
        ]),
      ),
    );
    const sent = share * nodeCount - results.reduce((n, r) => n + r.failed, 0);
    const completedAt = await waitFor(() => sink.arrivals.size >= sent, 300_000);
    const seconds = (completedAt - started) / 1000;
    const out: Record<string, number> = {
      completedPerSecond: sink.arrivals.size / seconds,
      daemonCpuMsPerMsg: daemons.reduce((n, d, i) => n + cpuMs(d.child.pid!) - cpuAtStart[i]!, 0) / sent,
      simCpuMsPerMsg: (cpuMs(sim.pid!) - simAtStart) / sent,
      failed: sent === share * nodeCount ? 0 : share * nodeCount - sent,
    };
    // Request → callback, every node's messages together: a callback that waits for the dispatcher's sweep shows here.
    const timings = idsFiles.flatMap((file) => callbackTimings(file, sink.arrivals));
    const latencies = timings.map((t) => t.latencyMs).sort((a, b) => a - b);
    out['callbackP50Ms'] = quantile(latencies, 0.5);
    out['callbackP99Ms'] = quantile(latencies, 0.99);
    // Fresh daemons' first requests (the first log-in's scrypt on each node, code the warm-up does not run) against
    // what a node that has been up a second gives: the tail of a short paced run is mostly the former.
    const firstSent = Math.min(...timings.map((t) => t.sentAt));
    const later = timings
      .filter((t) => t.sentAt >= firstSent + 1000)
      .map((t) => t.latencyMs)
      .sort((a, b) => a - b);
    out['callbackP99AfterFirstSecondMs'] = quantile(later, 0.99);
    // The node whose messages wait longest: with fewer binds than nodes, one without a bind hands its messages over.
    const byNode = idsFiles.map((file) =>
      callbackTimings(file, sink.arrivals)
        .map((t) => t.latencyMs)
        .sort((a, b) => a - b),
    );
    byNode.forEach((l, i) => {
      out[`node${i + 1}P50Ms`] = quantile(l, 0.5);
      out[`node${i + 1}P99Ms`] = quantile(l, 0.99);
    });
    out['slowestNodeP50Ms'] = Math.max(...byNode.map((l) => quantile(l, 0.5)));
    out['slowestNodeP99Ms'] = Math.max(...byNode.map((l) => quantile(l, 0.99)));
    if (url && server.pid) {
      const after = await databaseCounters(url);
      out['postgresCpuMsPerMsg'] = (postgresCpuMs(server.pid) - before.pg) / sent;
      out['commitsPerSecond'] = (after.commits - before.db!.commits) / seconds;
      out['commitsPerMsg'] = (after.commits - before.db!.commits) / sent;
      out['rowChangesPerMsg'] = (after.rows - before.db!.rows) / sent;
    }
    return out;
  } finally {
    for (const d of daemons) await stop(d.child);
    await stop(sim);
    sink.server.close();
    rmSync(dir, { recursive: true, force: true });
    await settleBetweenRuns();
  }
}

async function main(): Promise<void> {
  const server = await startPostgres();
  const scenarios: Scenario[] = values.only ? (values.only.split(',') as Scenario[]) : ['sqlite-1', 'postgres-1', 'postgres-3'];
  const runs = new Map<Scenario, Array<Record<string, number>>>(scenarios.map((s) => [s, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const scenario of round % 2 === 0 ? scenarios : [...scenarios].reverse()) {
        const result = await runScenario(scenario, server);
        console.log(JSON.stringify({ scenario, round, ...result }));
        runs.get(scenario)!.push(result);
      }
    }
  } finally {
    await server.stop();
  }
  const fmt = (x: number | undefined, digits = 0) => (x === undefined || Number.isNaN(x) ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: digits }));
  const med = (s: Scenario, key: string) =>
    median(
      runs
        .get(s)!
        .map((r) => r[key]!)
        .filter((x) => x !== undefined),
    );
  const row = (label: string, key: string, digits = 0) =>
    `| ${label} | ${scenarios
      .map(
        (s) =>
          `${fmt(med(s, key), digits)} (${runs
            .get(s)!
            .map((r) => fmt(r[key], digits))
            .join(', ')})`,
      )
      .join(' | ')} |`;
  const table = [
    `### Cluster, ${new Date().toISOString().slice(0, 10)}: ${scenarios.map((s) => SCENARIO_LABELS[s]).join('; ')} (bench/cluster.ts)`,
    '',
    `${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), everything on this machine; receipts on, one SMSDeliveryReport`,
    `callback a message; ${MESSAGES} messages a run spread over the nodes${RATE === null ? " (each node's driver flat out)" : `, ${RATE} msg/s in all`}; ${ROUNDS} rounds alternating the order;`,
    '**median** first, runs in brackets. The carrier allows 2 binds for the whole cluster.',
    '',
    // The columns of the scenarios run (--only picks some), in their order.
    `| | ${scenarios.map((s) => SCENARIO_LABELS[s]).join(' | ')} |`,
    `| --- | ${scenarios.map(() => '---').join(' | ')} |`,
    row('Completed msg/s (accept → callback received)', 'completedPerSecond'),
    row('Request → callback p50 (ms)', 'callbackP50Ms'),
    row('Request → callback p99 (ms)', 'callbackP99Ms'),
    row('— of the messages sent after the first second (ms)', 'callbackP99AfterFirstSecondMs'),
    row('— of the slowest node, p50 (ms)', 'slowestNodeP50Ms'),
    row('— of the slowest node, p99 (ms)', 'slowestNodeP99Ms'),
    row('telenode CPU per message, all nodes (ms)', 'daemonCpuMsPerMsg', 3),
    row('PostgreSQL CPU per message (ms)', 'postgresCpuMsPerMsg', 3),
    row('PostgreSQL commits per second', 'commitsPerSecond'),
    row('PostgreSQL commits per message', 'commitsPerMsg', 3),
    row('PostgreSQL row changes per message', 'rowChangesPerMsg', 1),
    row('smsc-sim CPU per message (ms)', 'simCpuMsPerMsg', 3),
    '',
  ].join('\n');
  console.log(table);
  appendResults(values.out!, table);
}

await main();
