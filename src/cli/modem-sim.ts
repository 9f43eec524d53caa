import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { SimVendor } from '../tools/modem-sim.js';
import { MAX_TIMER_MS, numberFrom } from './number-option.js';
import { serveOnWithoutReader } from './broken-pipe.js';

const VENDORS: readonly SimVendor[] = ['generic', 'simcom', 'quectel', 'huawei'];

interface ModemSimCliOptions {
  link?: string;
  signal: number;
  registration: number;
  reportDelay: number;
  reportStatus: number;
  vendor: string;
  textOnly?: boolean;
}

export function registerModemSim(program: Command): void {
  program
    .command('modem-sim')
    .description('run a GSM modem simulator on a pty pair (needs socat); point a modem connector at the printed port')
    .option('--link <path>', 'path of the port telenode opens (default: a new temp dir)')
    .option('--signal <rssi>', 'AT+CSQ signal 0..31 (99: not known)', numberFrom(0, 99), 21)
    .option('--registration <stat>', 'AT+CREG stat: 1 home, 5 roaming, 0/2/3 not registered', numberFrom(0, 5), 1)
    .option('--report-delay <ms>', 'delay before a status report', numberFrom(0, MAX_TIMER_MS), 500)
    .option('--report-status <tp-st>', 'TP-ST of status reports (0 delivered, 64 failed)', numberFrom(0, 255), 0)
    .option('--vendor <name>', 'quirks of generic, simcom, quectel or huawei (AT+CGMI says so: profile auto picks it)', 'generic')
    .option('--text-only', 'a device without PDU mode (AT+CMGF=? says (1))')
    .action(async (options: ModemSimCliOptions) => {
      serveOnWithoutReader();
      if (!VENDORS.includes(options.vendor as SimVendor)) {
        process.stderr.write(`telenode modem-sim: --vendor must be one of ${VENDORS.join(', ')}\n`);
        process.exit(2);
      }
      const dir = mkdtempSync(join(tmpdir(), 'telenode-modem-'));
      const appPath = options.link ?? join(dir, 'modem');
      const simPath = join(dir, 'sim-side');
      const socat = spawn('socat', [`pty,raw,echo=0,link=${appPath}`, `pty,raw,echo=0,link=${simPath}`], { stdio: 'inherit' });
      socat.on('error', (err) => {
        process.stderr.write(`telenode modem-sim: cannot run socat (${err.message}); install it: apt-get install socat\n`);
        process.exit(2);
      });
      const deadline = Date.now() + 5000;
      while (!(existsSync(appPath) && existsSync(simPath))) {
        if (Date.now() > deadline) throw new Error('socat did not create the pty pair');
        await new Promise((r) => setTimeout(r, 20));
      }
      const { SerialPort } = await import('serialport');
      // Loaded when run, as the SMSC simulator is (smsc-sim.ts).
      const { ModemSimulator } = await import('../tools/modem-sim.js');
      const port = new SerialPort({ path: simPath, baudRate: 115200, hupcl: false, lock: false, autoOpen: false });
      // Ready only once our end is open: opening flushes its input (tcflush), so a command written
      // before that would be lost (a loaded machine made the CLI test see exactly that).
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      const sim = new ModemSimulator(port, {
        signal: options.signal,
        registration: options.registration,
        reportDelayMs: options.reportDelay,
        reportStatus: options.reportStatus,
        vendor: options.vendor as SimVendor,
        pduMode: !options.textOnly,
      });
      process.stdout.write(`modem simulator ready: connect to ${appPath}\n`);
      const stop = () => {
        sim.stop();
        port.close(() => {
          socat.kill('SIGTERM');
          process.exit(0);
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
