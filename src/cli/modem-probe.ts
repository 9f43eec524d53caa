import type { Command } from 'commander';
import { probeModem } from '../tools/modem-probe.js';

export function registerModemProbe(program: Command): void {
  program
    .command('modem-probe')
    .description('tell what modem is on a serial port and whether it can send SMS (SIM, registration, signal, SMSC, PDU mode)')
    .argument('<port>', 'serial device, e.g. /dev/ttyUSB2')
    .option('--baud <rate>', 'baud rate', '115200')
    .action(async (port: string, options: { baud: string }) => {
      const result = await probeModem(port, { baudRate: Number(options.baud) });
      for (const f of result.findings) process.stdout.write(`${f.ok ? 'ok  ' : 'FAIL'}  ${f.item.padEnd(16)} ${f.value}\n`);
      process.stdout.write(result.canSend ? 'This modem can send SMS.\n' : 'This modem cannot send SMS yet: see the FAIL lines.\n');
      if (!result.canSend) process.exitCode = 1;
    });
}
