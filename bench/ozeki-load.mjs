#!/usr/bin/env node
// Load driver for the Ozeki SendSms API (or, with --dialect kannel, Kannel's /cgi-bin/sendsms), run as its
// own process so it does not share the daemon's event loop. Closed loop (--concurrency) or open loop (--rate).
// Prints one JSON summary line; with --ids FILE also writes "smsId sentAtMs" lines (Kannel: "k<i>", which
// its dlr-url carries back as ?id=k<i>) and the request's own latency in ms: "smsId sentAtMs answerMs".
//
// With --warm N it first sends N requests the same way to a server of its own on loopback, so that its own code
// (undici's WebAssembly parser, tiered up by V8 in background threads) is compiled before the run, then prints
// "ready" and waits for a line on stdin: a driver starting cold on the gateway's two cores took 0.4–0.9 of a core in
// the run's first quarter second, which a real client on its own machine does not (bench/RESULTS.md, session 30).
import { Pool } from 'undici';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    count: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    rate: { type: 'string' },
    user: { type: 'string', default: 'bench' },
    password: { type: 'string', default: 'bench' },
    report: { type: 'string' },
    ids: { type: 'string' },
    dialect: { type: 'string', default: 'ozeki' },
    warm: { type: 'string', default: '0' },
  },
});
const base = new URL(values.url);
const count = Number(values.count);
const pool = new Pool(base.origin, { connections: Number(values.concurrency), pipelining: 1 });
const latencies = new Float64Array(count);
const ids = [];
let failed = 0;
const FAILURES_TOLD = 5;

function kannelRequest(i) {
  const query = new URLSearchParams({
    username: values.user,
    password: values.password,
    from: 'BENCH',
    to: `+3630${String(i % 10_000_000).padStart(7, '0')}`,
    text: `bench message ${i}`,
  });
  if (values.report) {
    query.set('dlr-mask', '3');
    query.set('dlr-url', `${values.report}?id=k${i}&type=%d`);
  }
  return { path: `/cgi-bin/sendsms?${query}`, id: (status) => (status === 202 ? `k${i}` : undefined) };
}

function ozekiRequest(i) {
  const query = new URLSearchParams({
    command: 'SendSms',
    Username: values.user,
    Password: values.password,
    Recipient: `+3630${String(i % 10_000_000).padStart(7, '0')}`,
    Message: `bench message ${i}`,
  });
  if (values.report) query.set('DeliveryReportURL', values.report);
  return { path: `/api?${query}`, id: (_status, body) => /<SmsId>([^<]+)<\/SmsId>/.exec(body)?.[1] };
}

function dialectRequest(i) {
  return values.dialect === 'kannel' ? kannelRequest(i) : ozekiRequest(i);
}

/** Counts a request that got no message id; the first few say why on stderr (the bench prints it beside its figures). */
function failure(why) {
  failed++;
  if (failed <= FAILURES_TOLD) console.error(`load driver: request failed: ${why}`);
}

function request(i) {
  const { path, id: idOf } = dialectRequest(i);
  const sentAt = Date.now();
  const started = performance.now();
  return pool
    .request({ method: 'GET', path })
    .then(async (res) => {
      const body = await res.body.text();
      latencies[i] = performance.now() - started;
      const id = idOf(res.statusCode, body);
      if (id) ids.push(`${id} ${sentAt} ${Math.round(latencies[i])}`);
      else failure(`HTTP ${res.statusCode}: ${body.slice(0, 300)}`);
    })
    .catch((err) => {
      failure(String(err));
      latencies[i] = performance.now() - started;
    });
}

async function warmUp(requests) {
  const server = createServer((req, res) => req.resume().on('end', () => res.end('<SmsId>warm</SmsId>')));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const local = new Pool(`http://127.0.0.1:${server.address().port}`, { connections: Number(values.concurrency), pipelining: 1 });
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const { path } = dialectRequest(next++);
      const res = await local.request({ method: 'GET', path });
      /<SmsId>([^<]+)<\/SmsId>/.exec(await res.body.text()); // as the run reads each answer
    }
  };
  await Promise.all(Array.from({ length: Math.min(50, Number(values.concurrency)) }, worker));
  await local.close();
  server.close();
  console.log('ready');
  const lines = createInterface({ input: process.stdin });
  await new Promise((resolve) => lines.once('line', resolve));
  lines.close();
}

if (Number(values.warm) > 0) await warmUp(Number(values.warm));
const started = performance.now();
if (values.rate) {
  // Open loop: one request every 1000/rate ms, whatever the answers do.
  const rate = Number(values.rate);
  const pending = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(request(i));
  }
  await Promise.all(pending);
} else {
  let next = 0;
  const worker = async () => {
    while (next < count) await request(next++);
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
}
const seconds = (performance.now() - started) / 1000;
const sorted = Array.from(latencies).sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
if (values.ids) writeFileSync(values.ids, ids.join('\n'));
const cpu = process.cpuUsage();
console.log(
  JSON.stringify({
    count,
    failed,
    seconds,
    perSecond: count / seconds,
    p50: pct(50),
    p99: pct(99),
    max: sorted[sorted.length - 1],
    cpuMs: (cpu.user + cpu.system) / 1000,
  }),
);
await pool.close();
