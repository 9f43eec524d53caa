/**
 * The SIM's PIN is tried at most once: a wrong `pin:` stops the modem with a
 * clear reason and never spends a second try (three wrong PINs lock the SIM
 * behind its PUK); a SIM with one try left is not risked at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { SimulatedModem } from '../../helpers/simulated-modem.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function daemonWith(modem: SimulatedModem, pin: string) {
  const env = await startDaemon({
    connectors: [
      {
        id: 'gsm',
        type: 'modem',
        port: modem.path,
        ownNumber: '+36201112222',
        pin,
        commandTimeoutMs: 500,
        healthSeconds: 0.3,
        reconnect: { initialMs: 50, maxMs: 100 },
      },
    ],
  });
  cleanups.push(() => env.stop());
  return env;
}

const modemState = async (base: string) => {
  const health = (await (await fetch(`${base}/health`)).json()) as { connectors: Array<{ binds: Array<{ state: string; lastError?: string }> }> };
  return health.connectors[0]!.binds[0]!;
};

describe('SIM PIN', () => {
  it('enters the right PIN and comes up', async () => {
    const modem = await SimulatedModem.open({ pin: '1234' });
    cleanups.push(() => modem.close());
    const env = await daemonWith(modem, '1234');
    await waitUntil(() => env.daemon.connectors.get('gsm')!.isUp(), 10_000, 'modem ready');
    expect(modem.sim.pinAttempts).toEqual(['1234']);
  });

  it('sends a wrong PIN once, then stops and says so (tries left), never again', async () => {
    const modem = await SimulatedModem.open({ pin: '1234' });
    cleanups.push(() => modem.close());
    const env = await daemonWith(modem, '9999');
    await waitUntil(async () => (await modemState(env.base)).state === 'sim-locked', 10_000, 'the modem to stop on the refused PIN');
    expect((await modemState(env.base)).lastError).toMatch(/refused the configured PIN.*\(2 tries left\)/);
    // with reconnect back-off at 50-100 ms, a retry loop would have spent the other two tries by now
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(modem.sim.pinAttempts).toEqual(['9999']);
    expect(modem.sim.pinTries).toBe(2);
  });

  it('does not risk the last try', async () => {
    const modem = await SimulatedModem.open({ pin: '1234', pinTries: 1 });
    cleanups.push(() => modem.close());
    const env = await daemonWith(modem, '1234');
    await waitUntil(async () => (await modemState(env.base)).state === 'sim-locked', 10_000, 'the modem to stop');
    expect((await modemState(env.base)).lastError).toMatch(/one PIN try left/);
    expect(modem.sim.pinAttempts).toEqual([]);
  });
});
