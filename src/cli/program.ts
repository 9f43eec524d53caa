/**
 * `telenode`'s commands: start the daemon, check a config, hash a password,
 * send a test SMS, run the SMSC simulator, inspect and replay callbacks that
 * could not be delivered, lint OzML call scripts. Loaded by main.ts.
 */
import { Command } from 'commander';
import { handleBrokenPipes } from './broken-pipe.js';
import { registerStart } from './start.js';
import { registerCheckConfig } from './check-config.js';
import { registerHashPassword } from './hash-password.js';
import { registerSend } from './send.js';
import { registerSmscSim } from './smsc-sim.js';
import { registerWebhooks } from './webhooks.js';
import { registerModemSim } from './modem-sim.js';
import { registerModemProbe } from './modem-probe.js';
import { registerApiKey } from './api-key.js';
import { registerContacts } from './contacts.js';
import { registerOzml } from './ozml.js';
import { registerMigrate } from './migrate.js';
import { registerStatus } from './status.js';
import { registerBackup } from './backup.js';

handleBrokenPipes();

const program = new Command();
program
  .name('telenode')
  .description('On-premise telephony node: SMS over SMPP and GSM modems, calls running OzML, Ozeki-compatible HTTP API.')
  .version('0.1.0');

registerStart(program);
registerCheckConfig(program);
registerHashPassword(program);
registerSend(program);
registerSmscSim(program);
registerWebhooks(program);
registerModemSim(program);
registerModemProbe(program);
registerApiKey(program);
registerContacts(program);
registerOzml(program);
registerMigrate(program);
registerStatus(program);
registerBackup(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`telenode: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
