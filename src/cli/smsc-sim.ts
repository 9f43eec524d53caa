import type { Command } from 'commander';
import type { SmscSimCliOptions } from '../tools/smsc-sim.js';
import { MAX_TIMER_MS, numberFrom } from './number-option.js';
import { serveOnWithoutReader } from './broken-pipe.js';

export function registerSmscSim(program: Command): void {
  program
    .command('smsc-sim')
    .description('run an SMPP 3.4 SMSC simulator any ESME (telenode included) can bind to')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'listen port', numberFrom(0, 65535), 2775)
    .option('--id-format <format>', 'message ids in submit_sm_resp: hex or decimal', 'hex')
    .option('--first-id <n>', 'the first message id handed out (1: small sequential ids, as many SMSCs give)', numberFrom(0, Number.MAX_SAFE_INTEGER))
    .option('--receipt-id-format <format>', 'ids in receipts, when they should differ from submit_sm_resp')
    .option('--receipt-delay <ms>', 'delay before a delivery receipt', numberFrom(0, MAX_TIMER_MS), 1000)
    .option('--failure-rate <0..1>', 'fraction of receipts that say UNDELIV', numberFrom(0, 1, { fraction: true }), 0)
    .option('--reject-rate <0..1>', 'fraction of submit_sm rejected permanently', numberFrom(0, 1, { fraction: true }), 0)
    .option('--throttle-rate <0..1>', 'fraction of submit_sm answered ESME_RTHROTTLED', numberFrom(0, 1, { fraction: true }), 0)
    .option(
      '--max-mps <n>',
      'accept at most n submit_sm per account in any sliding second, throttle the rest (as carriers do)',
      numberFrom(0, Number.MAX_SAFE_INTEGER),
    )
    .option('--user <systemId:password...>', 'accepted credentials (default: accept any)')
    .option('--tls-key <file>', 'serve SMPP over TLS: private key (PEM)')
    .option('--tls-cert <file>', 'serve SMPP over TLS: certificate (PEM)')
    .option('--receipt-command <command>', 'carry receipts in deliver_sm or data_sm', 'deliver_sm')
    .option('--status-interval <seconds>', 'print the counters line this often', numberFrom(0.01, MAX_TIMER_MS / 1000, { fraction: true }), 10)
    .option('-v, --verbose', 'print every bind and submit')
    .action(async (options: SmscSimCliOptions) => {
      // Loaded when run: the other commands need none of it (`start` loads it anyway, for its warm-up).
      serveOnWithoutReader();
      const { runSmscSimCli } = await import('../tools/smsc-sim.js');
      await runSmscSimCli(options);
    });
}
