import type { Command } from 'commander';
import { WebhookRepo } from '../store/webhook-repo.js';
import { resolveConfig } from './config-source.js';
import { numberFrom } from './number-option.js';
import { openStoreForCli } from './store-access.js';

export function registerWebhooks(program: Command): void {
  const webhooks = program.command('webhooks').description('callbacks that could not be delivered (dead letters)');
  webhooks
    .command('dead')
    .description('list dead letters')
    .option('-c, --config <file>', 'config file (for the store path)')
    .option('-n, --limit <n>', 'most rows', numberFrom(1, Number.MAX_SAFE_INTEGER), 50)
    .action(async (options: { config?: string; limit: number }) => {
      const { config, source } = resolveConfig(options.config);
      const store = await openStoreForCli(config, source, { create: false });
      const rows = await new WebhookRepo(store.sql).listDead(options.limit);
      for (const { body: _body, headers: _headers, ...row } of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
      process.stderr.write(`${rows.length} dead letter(s)\n`);
      await store.close();
    });
  webhooks
    .command('replay')
    .description('queue dead letters for delivery again (a running daemon picks them up within seconds)')
    .option('-c, --config <file>', 'config file (for the store path)')
    .option('--all', 'replay every dead letter')
    .argument('[ids...]', 'dead letter ids')
    .action(async (ids: string[], options: { config?: string; all?: boolean }) => {
      if (!options.all && ids.length === 0) {
        process.stderr.write('telenode webhooks replay: give ids or --all\n');
        process.exit(2);
      }
      const { config, source } = resolveConfig(options.config);
      const store = await openStoreForCli(config, source, { create: false });
      const repo = new WebhookRepo(store.sql);
      const selection = options.all ? { all: true } : { ids: ids.map(Number) };
      const count = await store.committer.run(() => repo.replayDead(selection, Date.now()));
      process.stdout.write(`${count} dead letter(s) queued again\n`);
      await store.close();
    });
}
