/**
 * What password guessing does to the senders a node serves: a sender whose log-in is remembered sends at a steady
 * rate (the Ozeki load driver, its own process) while guessers send wrong passwords for made-up users from ever new
 * loopback addresses (each below its lock-out, as guesses spread over an IPv6 network would be), and the sender's
 * answer times are compared with a run without guessers. Each guess costs one scrypt in libuv's thread pool, where
 * the store's WAL fsync runs too. Run with `npx tsx bench/login-flood.ts [--rate 200] [--seconds 10] [--guessers 32]
 * [--runs 2] [--out bench/RESULTS.md]`; the daemon is the one built in dist/ of the working directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appendResults, freePort, median, runDriver, settleBetweenRuns, spawnUntil, startBenchDaemon, stop } from './bench-lib.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    guessers: { type: 'string', default: '32' },
    runs: { type: 'string', default: '2' },
    out: { type: 'string' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const GUESSERS = Number(values.guessers);
const RUNS = Number(values.runs);
const CLI = join(process.cwd(), 'dist/cli/main.js');
/** Guesses from one address: below http.loginLimits.maxFailuresPerSource (10), so none is refused before its scrypt. */
const GUESSES_PER_ADDRESS = 9;

interface RunResult {
  guessing: boolean;
  p50: number;
  p99: number;
  failed: number;
  guessesPerSecond: number;
}

/** Wrong log-ins from 127.1.0.1 on, a new address every GUESSES_PER_ADDRESS, until `until`. */
async function guess(base: string, until: number): Promise<number> {
  const { port } = new URL(base);
  let sent = 0;
  const address = (n: number) => {
    const a = Math.floor(n / GUESSES_PER_ADDRESS) + 1;
    return `127.${1 + (Math.floor(a / 65_025) % 254)}.${1 + (Math.floor(a / 255) % 255)}.${1 + (a % 255)}`;
  };
  const one = () =>
    new Promise<void>((resolve) => {
      const n = sent++;
      const query = new URLSearchParams({ command: 'SendSms', Username: `nobody${n}`, Password: `guess${n}`, Recipient: '+36301234567', Message: 'x' });
      const req = httpRequest({ host: '127.0.0.1', port, path: `/api?${query}`, localAddress: address(n), agent: new Agent({ keepAlive: false }) }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
    });
  await Promise.all(
    Array.from({ length: GUESSERS }, async () => {
      while (Date.now() < until) await one();
    }),
  );
  return sent;
}

async function run(guessing: boolean): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'telenode-login-flood-'));
  const smscPort = await freePort();
  const smsc = await spawnUntil([CLI, 'smsc-sim', '--port', String(smscPort), '--receipt-delay', '0'], /SMSC simulator/i, 'smsc-sim');
  const { daemon, base } = await startBenchDaemon(dir, { smscPort, receipts: false, window: 100 });
  try {
    // The sender's log-in is remembered from here on, as a steady sender's is.
    await runDriver(['--url', base, '--count', '10', '--concurrency', '1']);
    const count = RATE * SECONDS;
    const started = Date.now();
    const [sender, guesses] = await Promise.all([
      runDriver(['--url', base, '--count', String(count), '--rate', String(RATE), '--concurrency', '64']),
      guessing ? guess(base, started + SECONDS * 1000) : Promise.resolve(0),
    ]);
    const seconds = (Date.now() - started) / 1000;
    return { guessing, p50: sender.p50, p99: sender.p99, failed: sender.failed, guessesPerSecond: guesses / seconds };
  } finally {
    await stop(daemon);
    await stop(smsc);
    rmSync(dir, { recursive: true, force: true });
    await settleBetweenRuns();
  }
}

const results: RunResult[] = [];
for (let i = 0; i < RUNS; i++) {
  for (const guessing of i % 2 ? [true, false] : [false, true]) {
    const result = await run(guessing);
    results.push(result);
    console.log(JSON.stringify(result));
  }
}
const summary = (guessing: boolean) => {
  const of = results.filter((r) => r.guessing === guessing);
  return `p50 ${median(of.map((r) => r.p50)).toFixed(1)} ms, p99 ${median(of.map((r) => r.p99)).toFixed(1)} ms, failed ${of.reduce((n, r) => n + r.failed, 0)}${
    guessing ? `, ${median(of.map((r) => r.guessesPerSecond)).toFixed(0)} guesses/s answered` : ''
  }`;
};
const text = `login-flood (${new Date().toISOString()}, ${RATE} msg/s for ${SECONDS} s, ${GUESSERS} guessers, ${RUNS} runs each, medians): without guessing ${summary(false)}; with guessing ${summary(true)}`;
console.log(text);
if (values.out) appendResults(values.out, `\n${text}\n`);
