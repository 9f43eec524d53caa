import type { Command } from 'commander';
import { listDeadLetters, replayDeadLetters } from '../webhooks/index.js';
import { resolveConfig } from './config-source.js';
import { openStoreForCli } from './store-access.js';

export function registerWebhooks(program: Command): void {
  const webhooks = program.command('webhooks').description('callbacks that could not be delivered (dead letters)');
  webhooks
    .command('dead')
    .description('list dead letters')
    .option('-c, --config <file>', 'config file (for the store path)')
    .option('-n, --limit <n>', 'most rows', '50')
    .action((options: { config?: string; limit: string }) => {
      const { config, source } = resolveConfig(options.config);
      const db = openStoreForCli(config, source, { create: false });
      const rows = listDeadLetters(db, { limit: Number(options.limit) });
      for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
      process.stderr.write(`${rows.length} dead letter(s)\n`);
      db.close();
    });
  webhooks
    .command('replay')
    .description('queue dead letters for delivery again (a running daemon picks them up within seconds)')
    .option('-c, --config <file>', 'config file (for the store path)')
    .option('--all', 'replay every dead letter')
    .argument('[ids...]', 'dead letter ids')
    .action((ids: string[], options: { config?: string; all?: boolean }) => {
      if (!options.all && ids.length === 0) {
        process.stderr.write('telenode webhooks replay: give ids or --all\n');
        process.exit(2);
      }
      const { config, source } = resolveConfig(options.config);
      const db = openStoreForCli(config, source, { create: false });
      const count = replayDeadLetters(db, options.all ? { all: true } : { ids: ids.map(Number) });
      process.stdout.write(`${count} dead letter(s) queued again\n`);
      db.close();
    });
}
