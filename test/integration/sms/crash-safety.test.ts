/**
 * SIGKILL the daemon in the middle of a load of thousands of messages,
 * start it again on the same store, and count at the SMSC: every SmsId the
 * API accepted must arrive. Duplicates are allowed only within the bound the
 * docs/operations.md states (the window on the wire plus the answers not yet
 * committed, which the connector's pipeline holds to max(window, 256)).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { startDaemonProcess, writeConfig, type DaemonProcess } from '../../helpers/daemon-process.js';
import { parseOzekiXml, sendSmsQuery } from '../../helpers/ozeki-client.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';

const TOTAL = 4000;
const CONCURRENCY = 32;
const WINDOW = 20;

const sim = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 50, log: silentLogger() });
const dir = tempDir('telenode-crash-');
let daemon: DaemonProcess | null = null;

beforeAll(async () => {
  await sim.start();
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await sim.stop();
  dir.remove();
});

describe('crash safety', () => {
  it('delivers every accepted message to the SMSC after a SIGKILL mid-load and a restart', async () => {
    const config = writeConfig(dir.path, {
      http: { host: '127.0.0.1', port: 0 },
      store: { path: `${dir.path}/telenode.db` },
      users: [{ username: 'load', passwordHash: hashPassword('pw') }],
      connectors: [{ id: 'c1', type: 'smpp', host: '127.0.0.1', port: sim.port, systemId: 'tn', password: 'pw', window: WINDOW }],
    });
    daemon = await startDaemonProcess(config);
    const base = daemon.base;
    const accepted = new Set<string>();
    let next = 0;
    let killed = false;

    const worker = async () => {
      while (next < TOTAL && !killed) {
        const i = next++;
        const text = `crash-test ${i}`;
        try {
          const response = await fetch(`${base}/api?${sendSmsQuery({ Username: 'load', Password: 'pw', Recipient: '+36301234567', Message: text })}`);
          const reply = parseOzekiXml(await response.text());
          if (reply.code === 200) accepted.add(text);
        } catch {
          // The daemon died under us: this request was never answered, so it was never promised.
        }
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, worker);
    await waitUntil(() => accepted.size >= TOTAL / 3, 60_000, 'a third of the load accepted');
    killed = true;
    await daemon.kill('SIGKILL');
    await Promise.all(workers);
    const acceptedBeforeCrash = accepted.size;
    const receivedBeforeRestart = new Set(sim.received.map((m) => m.text)).size;

    daemon = await startDaemonProcess(config);
    await waitUntil(
      () => {
        const seen = new Set(sim.received.map((m) => m.text));
        return [...accepted].every((t) => seen.has(t));
      },
      60_000,
      'every accepted message at the SMSC after restart',
    );
    const counts = new Map<string, number>();
    for (const m of sim.received) counts.set(m.text, (counts.get(m.text) ?? 0) + 1);
    const duplicates = [...counts.values()].reduce((sum, n) => sum + (n - 1), 0);
    console.log(
      `crash test: ${acceptedBeforeCrash} accepted before SIGKILL, ${receivedBeforeRestart} at the SMSC then; ` +
        `after restart all ${accepted.size} arrived; ${duplicates} duplicate(s)`,
    );
    expect(acceptedBeforeCrash).toBeGreaterThan(0);
    // The bound in docs/operations.md, whatever the disk does: the window on the wire plus the answers waiting for their
    // commit (at most max(window, 256): sending waits past it). With a quick disk it is about the window; a busy CI
    // machine's slow fsync once left 100 answers uncommitted, when nothing held them.
    expect(duplicates).toBeLessThanOrEqual(WINDOW + Math.max(WINDOW, 256));
  });
});
