/**
 * A node's peak resident memory is what its host must have free. At start the warm-up (decision 0117) sends the
 * first callbacks; while they went through undici, V8 tiered its WebAssembly HTTP parser up with TurboFan, which took
 * 20–30 MiB of compile memory for about 200 ms — the node's peak whenever it was not flat out. Callbacks now go over
 * node:http, whose parser is compiled into Node (decision 0126). What a user would see: once started, the node's
 * peak (VmHWM) is close to what it holds (VmRSS).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/shared/password-hash.js';
import { startDaemonProcess, writeConfig, type DaemonProcess } from '../helpers/daemon-process.js';
import { processMemoryMiB } from '../helpers/process-memory.js';
import { tempDir } from '../helpers/temp-dir.js';
import { unitEnvironment } from '../helpers/unit-environment.js';

const dir = tempDir('telenode-start-memory-');
let daemon: DaemonProcess | null = null;

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  dir.remove();
});

describe('the daemon’s memory at start', () => {
  it('peaks at about what it then holds: no compile burst for the warm-up’s callbacks', async () => {
    const config = writeConfig(dir.path, {
      http: { host: '127.0.0.1', port: 0 },
      store: { path: `${dir.path}/telenode.db` },
      users: [{ username: 'u', passwordHash: hashPassword('pw') }],
      connectors: [{ id: 'simulator', type: 'simulator', receiptDelayMs: 0 }],
      warmUp: { messages: 500 },
    });
    // As the unit starts it: its malloc thresholds return freed memory, so a burst shows as a peak above what is held.
    daemon = await startDaemonProcess(config, 40_000, unitEnvironment());
    const pid = daemon.child.pid!;
    const peak = processMemoryMiB(pid, 'VmHWM');
    const holding = processMemoryMiB(pid, 'VmRSS');
    // Measured: with the TurboFan burst the peak stood 23–25 MiB above; without it, 0–2.5 MiB.
    expect(peak - holding).toBeLessThan(12);
  });
});
