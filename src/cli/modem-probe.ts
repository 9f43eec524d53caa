import type { Command } from 'commander';
import { numberFrom } from './number-option.js';

export function registerModemProbe(program: Command): void {
  program
    .command('modem-probe')
    .description(
      'tell what modem is on a serial port, whether it can send and receive SMS (SIM, registration, signal, SMSC, PDU mode, indications, storage), and print a config for it',
    )
    .argument('<port>', 'serial device, e.g. /dev/ttyUSB2')
    .option('--baud <rate>', 'baud rate', numberFrom(1, 4_000_000), 115200)
    .action(async (port: string, options: { baud: number }) => {
      // Loaded when run, as the simulators are (smsc-sim.ts).
      const { probeModem } = await import('../tools/modem-probe.js');
      let result;
      try {
        result = await probeModem(port, { baudRate: options.baud });
      } catch (err) {
        process.stderr.write(`modem-probe: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      for (const f of result.findings) {
        process.stdout.write(`${f.ok ? 'ok  ' : 'FAIL'}  ${f.item.padEnd(16)} ${f.value}\n`);
        if (f.advice) process.stdout.write(`      ${''.padEnd(16)} → ${f.advice}\n`);
      }
      process.stdout.write(
        !result.canSend
          ? 'This modem cannot send SMS yet: see the FAIL lines.\n'
          : result.canReceive
            ? 'This modem can send and receive SMS.\n'
            : 'This modem can send SMS; receiving needs attention (see the FAIL lines).\n',
      );
      process.stdout.write(`\nFor telenode.yaml:\n\n${result.configSnippet}\n`);
      if (!result.canSend) process.exitCode = 1;
    });
}
