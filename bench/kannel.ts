/**
 * Kannel 1.4 (Debian's `kannel`: bearerbox + smsbox, file store, DLRs in memory) as a bench's baseline gateway: one
 * SMPP transceiver bind to the SMSC at `smscPort`, the sendsms user bench with `password`, `window` submits in flight.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, stop, waitFor } from './bench-lib.js';

export interface Running {
  /** The processes whose CPU and memory count as the gateway's. */
  pids: number[];
  /** Base URL the driver sends to. */
  base: string;
  stop(): Promise<void>;
}

export function kannelAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v bearerbox && command -v smsbox'], { stdio: 'ignore' }).status === 0;
}

export async function startKannel(dir: string, smscPort: number, options: { window: number; password: string }): Promise<Running> {
  const [admin, box, sendsms] = [await freePort(), await freePort(), await freePort()];
  const conf = join(dir, 'kannel.conf');
  writeFileSync(
    conf,
    `group = core
admin-port = ${admin}
admin-password = bench
admin-interface = 127.0.0.1
smsbox-port = ${box}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-level = 4
log-file = "${join(dir, 'bearerbox.log')}"
store-type = file
store-location = "${join(dir, 'kannel.store')}"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = ${smscPort}
transceiver-mode = true
smsc-username = "bench"
smsc-password = "bench"
system-type = ""
max-pending-submits = ${options.window}
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${box}
sendsms-port = ${sendsms}
sendsms-interface = 127.0.0.1
log-level = 4
log-file = "${join(dir, 'smsbox.log')}"

group = sendsms-user
username = bench
password = ${options.password}
max-messages = 10
concatenation = true
`,
  );
  const bearerbox = spawn('bearerbox', [conf], { stdio: 'ignore' });
  const status = async () => {
    try {
      return await (await fetch(`http://127.0.0.1:${admin}/status.txt?password=bench`)).text();
    } catch {
      return '';
    }
  };
  await waitFor(async () => (await status()) !== '', 30_000);
  // bearerbox answers on its admin port before it opens its smsbox port, and smsbox panics when that port is
  // not open yet: start smsbox again each time it exits, until bearerbox lists it as connected.
  let smsbox = spawn('smsbox', [conf], { stdio: 'ignore' });
  await waitFor(async () => {
    if (smsbox.exitCode !== null || smsbox.signalCode !== null) smsbox = spawn('smsbox', [conf], { stdio: 'ignore' });
    return /smsbox:.*on-line/.test(await status());
  }, 30_000);
  await waitFor(async () => /online/.test(await status()), 30_000);
  await waitFor(async () => {
    try {
      await fetch(`http://127.0.0.1:${sendsms}/cgi-bin/sendsms`);
      return true;
    } catch {
      return false;
    }
  }, 30_000);
  return {
    pids: [bearerbox.pid!, smsbox.pid!],
    base: `http://127.0.0.1:${sendsms}`,
    stop: async () => {
      await stop(smsbox);
      await stop(bearerbox);
    },
  };
}
