/**
 * SIP fuzzing against the real daemon (built-in engine): at least 100,000
 * mutated messages over UDP and TCP, then the daemon must still be running,
 * answer a real call from sipp, and hold its memory. The run is bounded for
 * CI; FUZZ_SCALE=10 (or more) runs it longer by hand, FUZZ_SEED repeats one.
 * Where a drachtio-server is configured (DRACHTIO_HOST, DRACHTIO_SIP, as the
 * drachtio call suite), a daemon on the drachtio engine gets the same through
 * it: what drachtio-server's parser lets through reaches drachtio-srf's and ours.
 * drachtio-server must run with --disable-nat-detection (docs/calls.md): without
 * it, any INVITE over UDP whose Contact has no host (a tel: URI) crashes it as
 * soon as the application answers, and this fuzz finds one within seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemonProcess, writeConfig, type DaemonProcess } from '../helpers/daemon-process.js';
import { processMemoryMiB } from '../helpers/process-memory.js';
import { freeUdpPort, runSipp, sippAvailable } from '../helpers/sipp.js';
import { tempDir, waitUntil } from '../helpers/temp-dir.js';
import { runSipFuzz, type FuzzReport } from './sip-fuzz-peer.js';
import { drachtioFromEnv } from '../helpers/voice-harness.js';

const SCALE = Number(process.env['FUZZ_SCALE'] ?? 1);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
/** 64·T1 (RFC 3261 §13.3.1.4): the node's give-up timer for a 2xx nobody ACKs, plus margin. */
const NO_ACK_TIMER_MS = 32_000 + 3_000;

describe.skipIf(!sippAvailable())(`SIP fuzz against the daemon (seed ${SEED})`, () => {
  const dir = tempDir();
  let daemon: DaemonProcess;
  let sipPort: number;

  beforeAll(async () => {
    const config = writeConfig(dir.path, {
      http: { port: 0 },
      store: { path: `${dir.path}/telenode.db` },
      voice: { builtin: { port: 0 }, greeting: 'Fuzz.' },
    });
    daemon = await startDaemonProcess(config);
    const health = (await (await fetch(`${daemon.base}/health`)).json()) as { voice: { listen: string[] } };
    sipPort = Number(health.voice.listen[0]!.split(':').at(-1));
  });

  afterAll(async () => {
    await daemon?.kill('SIGKILL');
    dir.remove();
  });

  function alive(): void {
    expect(daemon.child.exitCode, `daemon exited (seed ${SEED}):\n${daemon.logs.slice(-20).join('\n')}`).toBeNull();
    expect(daemon.child.signalCode).toBeNull();
  }

  it('survives 100,000 mutated messages over UDP and TCP, then answers a real call', { timeout: 600_000 }, async () => {
    const rssBefore = processMemoryMiB(daemon.child.pid!);
    const reports: FuzzReport[] = [];
    reports.push(await runSipFuzz({ transport: 'UDP', host: '127.0.0.1', port: sipPort, count: 60_000 * SCALE, seed: SEED }));
    alive();
    reports.push(await runSipFuzz({ transport: 'TCP', host: '127.0.0.1', port: sipPort, count: 40_000 * SCALE, seed: SEED + 1 }));
    alive();
    const sent = reports.reduce((sum, r) => sum + r.sent, 0);
    expect(sent).toBeGreaterThanOrEqual(100_000 * SCALE);
    // The fuzzers reached the paths behind an answer, not only the parser.
    expect(reports.reduce((sum, r) => sum + r.answered, 0)).toBeGreaterThan(100);
    expect(reports.reduce((sum, r) => sum + r.inDialog, 0)).toBeGreaterThan(100);

    // Calls the fuzzer answered and never ACKed end by the node's own timer (64·T1), the rest by BYE or
    // their script: every fuzzed call must end (none leaks), with the daemon alive throughout.
    const firstUnacked = Math.min(...reports.map((r) => r.firstUnackedAt ?? Date.now()));
    await waitUntil(() => Date.now() - firstUnacked > NO_ACK_TIMER_MS, NO_ACK_TIMER_MS + 5_000, 'the no-ACK timer of the fuzzed calls');
    const activeCalls = async () => ((await (await fetch(`${daemon.base}/health`)).json()) as { voice: { activeCalls: number } }).voice.activeCalls;
    await waitUntil(async () => (await activeCalls()) === 0, 120_000, 'every fuzzed call to end');
    alive();
    const result = await runSipp({
      scenario: 'uac-listen.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { caller: '1', codec: 0, rtp_port: 9 },
      workDir: dir.path,
    }).done;
    expect(result.code, result.errors || result.stdout).toBe(0);

    // Bounded, not exact: RSS keeps what V8 freed but did not return, and how much depends on when it collected.
    // Growth measured 2026-12-02: 357 and 425 MiB on a quiet machine (this code and the code before it), 485 on a
    // loaded one; a leak of a few KiB per message would add hundreds of MiB more over 100,000 messages.
    expect(processMemoryMiB(daemon.child.pid!) - rssBefore, 'daemon RSS growth in MiB over the fuzz').toBeLessThan(650);
    alive();
  });
});

const drachtio = drachtioFromEnv();
if (!drachtio) console.warn('[sip-fuzz] the drachtio part skipped: no drachtio-server configured (DRACHTIO_HOST, DRACHTIO_SIP unset)');

describe.skipIf(!drachtio || !sippAvailable())(`SIP fuzz through drachtio-server against the daemon (seed ${SEED})`, () => {
  const dir = tempDir();
  let daemon: DaemonProcess;
  const [host, port] = (drachtio?.sipTarget ?? ':').split(':') as [string, string];

  beforeAll(async () => {
    const config = writeConfig(dir.path, {
      http: { port: 0 },
      store: { path: `${dir.path}/telenode.db` },
      voice: {
        engine: 'drachtio',
        drachtio: {
          host: drachtio!.host,
          port: drachtio!.port,
          secret: drachtio!.secret,
          auth: { realm: 'telenode', users: [{ username: 'pbx', password: 's3cret' }] },
        },
        greeting: 'Fuzz.',
      },
    });
    daemon = await startDaemonProcess(config);
  });

  afterAll(async () => {
    await daemon?.kill('SIGKILL');
    dir.remove();
  });

  // Over UDP only: over TCP a mutation that breaks a message's framing (its Content-Length) leaves drachtio-server
  // waiting on that peer's own connection for bytes that never come, so the fuzzing peer stalls, not the node. The
  // built-in engine's TCP transport is ours and fuzzed above.
  it('survives 30,000 mutated messages over UDP with digest asked for, then still challenges a real call', { timeout: 600_000 }, async () => {
    const alive = () => {
      expect(daemon.child.exitCode, `daemon exited (seed ${SEED}):\n${daemon.logs.slice(-20).join('\n')}`).toBeNull();
      expect(daemon.child.signalCode).toBeNull();
    };
    const report = await runSipFuzz({ transport: 'UDP', host, port: Number(port), count: 30_000 * SCALE, seed: SEED });
    alive();
    expect(report.sent).toBeGreaterThanOrEqual(30_000 * SCALE);
    // Nothing on stderr: no INVITE handler of ours threw (drachtio-srf's last resort answers 500 and writes "some layer
    // barfed" and a stack trace), and no message drachtio-srf cannot parse was written there (patched: one a packet).
    expect(daemon.stderr.join('').slice(0, 2000)).toBe('');
    const result = await runSipp({
      scenario: 'uac-auth.xml',
      target: drachtio!.sipTarget,
      localPort: await freeUdpPort(),
      keys: { caller: '1', codec: 0, rtp_port: 9 },
      extraArgs: ['-au', 'pbx', '-ap', 's3cret'],
      workDir: dir.path,
    }).done;
    expect(result.code, result.errors || result.stdout).toBe(0);
    alive();
  });
});
