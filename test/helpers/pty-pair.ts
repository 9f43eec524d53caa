/**
 * A linked pair of pseudo-terminals made by socat: what a test (or
 * `telenode modem-sim`) writes on one end, the other end reads — a serial
 * cable without hardware.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** The end the daemon opens as its modem port. */
  appPath: string;
  /** The end the simulated modem answers on. */
  modemPath: string;
  /** Kill socat: both ends hang up, as when a USB modem is pulled out. */
  close: () => Promise<void>;
}

/** A new pair; with `dir`, at the same paths as an earlier pair there (a modem plugged in again). */
export async function openPtyPair(options: { dir?: string } = {}): Promise<PtyPair> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'telenode-pty-'));
  const appPath = join(dir, 'app');
  const modemPath = join(dir, 'modem');
  rmSync(appPath, { force: true });
  rmSync(modemPath, { force: true });
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${appPath}`, `pty,raw,echo=0,link=${modemPath}`], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (!(existsSync(appPath) && existsSync(modemPath))) {
    if (Date.now() > deadline || socat.exitCode !== null) throw new Error('socat did not create the pty pair');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    appPath,
    modemPath,
    close: async () => {
      if (socat.exitCode === null && socat.signalCode === null) {
        const exited = new Promise((r) => socat.once('exit', r));
        socat.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      }
      rmSync(appPath, { force: true });
      rmSync(modemPath, { force: true });
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
