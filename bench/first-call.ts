/**
 * A voice node's first call after a start, as its caller and its host see it: the real daemon (dist/, its own process,
 * started as the unit starts it) answers a sipp call, asks the OzML app on loopback what to do, downloads the prompt
 * the app names and plays it. Measured from sipp's start: when the app gets IncomingCall, when the prompt's GET
 * arrives, when the caller hears the prompt (the first RTP packet with a loud sample); and the daemon's peak RSS
 * (VmHWM) after the call. Each run starts a fresh daemon on a fresh store.
 *
 *   npx tsx bench/first-call.ts --runs 5
 *   npx tsx bench/first-call.ts --runs 4 --baseline /tmp/base   # alternating with another commit's worktree (its dist/ built)
 *
 * With --baseline the runs alternate ABBA between the baseline and this checkout, and the section gives each pair's
 * ratio (this checkout over the baseline) and their median.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeG711 } from '../src/voice/media/g711.js';
import { decodeRtp } from '../src/voice/media/rtp-packet.js';
import { AudioClip } from '../src/voice/media/audio-clip.js';
import { encodeWav } from '../src/voice/media/wav.js';
import { OzmlApp } from '../test/helpers/ozml-app.js';
import { freeUdpPort, runSipp } from '../test/helpers/sipp.js';
import { median, peakRssMb, startDaemonOnConfig, stop, writeResultsSection } from './bench-lib.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    baseline: { type: 'string' },
    out: { type: 'string', default: 'bench/RESULTS.md' },
    // How long the app takes to answer IncomingCall, as a real app's database lookup would.
    'app-delay-ms': { type: 'string', default: '0' },
  },
});
const RUNS = Number(values.runs);
const BASELINE = values.baseline ?? null;
const APP_DELAY_MS = Number(values['app-delay-ms']);
/** A sample this loud is the prompt (a 440 Hz tone at full scale), not the silence before it. */
const LOUD = 4000;

interface FirstCall {
  appMs: number;
  promptMs: number;
  heardMs: number;
  peakRssMiB: number;
}

async function firstCall(checkout: string): Promise<FirstCall> {
  const dir = mkdtempSync(join(tmpdir(), 'telenode-first-call-'));
  const tone = encodeWav(AudioClip.tone(440, 1000).pcm);
  let promptAt = 0;
  const prompts = createServer((_req, res) => {
    promptAt ||= Date.now();
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': tone.length }).end(tone);
  });
  await new Promise<void>((resolve) => prompts.listen(0, '127.0.0.1', resolve));
  const app = await new OzmlApp()
    .on('/incoming', {
      body: `<Response><Play>http://127.0.0.1:${(prompts.address() as AddressInfo).port}/tone.wav</Play><Hangup/></Response>`,
      delayMs: APP_DELAY_MS,
    })
    .start();
  let heardAt = 0;
  const rtp = createSocket('udp4');
  rtp.on('message', (data) => {
    const packet = decodeRtp(data);
    if (heardAt || !packet || (packet.payloadType !== 0 && packet.payloadType !== 8)) return;
    if (decodeG711(packet.payloadType === 0 ? 'PCMU' : 'PCMA', packet.payload).some((sample) => Math.abs(sample) > LOUD)) heardAt = Date.now();
  });
  await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', resolve));
  let daemon: ChildProcess | null = null;
  try {
    const started = await startDaemonOnConfig(
      dir,
      {
        store: { path: join(dir, 'telenode.db') },
        log: { level: 'warn' },
        egress: { allow: ['127.0.0.1/32'] },
        voice: { builtin: { port: 0 }, routes: [{ match: '*', url: app.url('/incoming') }] },
      },
      checkout,
    );
    daemon = started.daemon;
    const base = started.base;
    const health = (await (await fetch(`${base}/health`)).json()) as { voice: { listen: string[] } };
    const sipPort = Number(health.voice.listen[0]!.split(':').at(-1));
    const start = Date.now();
    const result = await runSipp({
      scenario: 'uac-listen.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { rtp_port: (rtp.address() as AddressInfo).port, caller: '100', codec: 0 },
      workDir: dir,
    }).done;
    const appAt = app.requests[0]?.at ?? 0;
    if (result.code !== 0 || !appAt || !promptAt || !heardAt) throw new Error(`the call failed: sipp ${result.code} ${result.errors}`);
    return { appMs: appAt - start, promptMs: promptAt - start, heardMs: heardAt - start, peakRssMiB: peakRssMb(daemon.pid!) };
  } finally {
    if (daemon) await stop(daemon);
    await app.stop();
    prompts.close();
    rtp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A checkout's commit, for the results. */
const commitOf = (checkout: string) => execFileSync('git', ['-C', checkout, 'log', '-1', '--format=%h'], { encoding: 'utf8' }).trim();

const rows: { checkout: string; call: FirstCall }[] = [];
const order = BASELINE ? [BASELINE, process.cwd(), process.cwd(), BASELINE] : [process.cwd()];
for (let run = 0; run < RUNS; run++) {
  const checkout = order[run % order.length]!;
  const call = await firstCall(checkout);
  rows.push({ checkout, call });
  console.log(checkout, JSON.stringify(call));
}

const figure = (calls: FirstCall[], key: keyof FirstCall) => {
  const xs = calls.map((c) => c[key]);
  return `${median(xs).toFixed(key === 'peakRssMiB' ? 1 : 0)} (${xs.map((x) => x.toFixed(key === 'peakRssMiB' ? 1 : 0)).join(', ')})`;
};
const mine = rows.filter((r) => r.checkout === process.cwd()).map((r) => r.call);
const theirs = rows.filter((r) => r.checkout === BASELINE).map((r) => r.call);
const pairRatio = (key: keyof FirstCall) => {
  const pairs = Math.min(mine.length, theirs.length);
  const ratios = Array.from({ length: pairs }, (_, i) => mine[i]![key] / theirs[i]![key]);
  return pairs ? `${median(ratios).toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(', ')})` : '';
};
const lines = [
  '## A voice node’s first call (bench/first-call.ts)',
  '',
  `- **Date:** ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  `- **Machine:** ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`,
  '- **Setup:** a freshly started daemon (the unit’s environment and flags, SQLite, builtin SIP engine) answers one sipp',
  `  call; its voice route asks an OzML app on loopback, which answers${APP_DELAY_MS ? ` after ${APP_DELAY_MS} ms` : ''} \`<Play>\` of a 1 s WAV on a loopback HTTP server,`,
  '  then `<Hangup/>`. Times from sipp’s start (ms); the caller hears the prompt at its first loud RTP sample. Median',
  `  first, runs in brackets${BASELINE ? `; this checkout is ${commitOf(process.cwd())}; runs alternate ABBA with the baseline ${commitOf(BASELINE)}, the ratio is this checkout over it, pair by pair` : ''}.`,
  '',
  BASELINE ? '| | baseline | this checkout | ratio |' : '| | this checkout |',
  BASELINE ? '| --- | --- | --- | --- |' : '| --- | --- |',
  ...(
    [
      ['app gets IncomingCall (ms)', 'appMs'],
      ['prompt’s GET arrives (ms)', 'promptMs'],
      ['caller hears the prompt (ms)', 'heardMs'],
      ['daemon’s peak RSS after the call (MiB)', 'peakRssMiB'],
    ] as const
  ).map(([label, key]) =>
    BASELINE ? `| ${label} | ${figure(theirs, key)} | ${figure(mine, key)} | ${pairRatio(key)} |` : `| ${label} | ${figure(mine, key)} |`,
  ),
];
writeResultsSection(values.out!, lines.join('\n'));
