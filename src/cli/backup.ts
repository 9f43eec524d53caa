/**
 * `telenode backup FILE`: a consistent copy of the SQLite store while the daemon runs, through SQLite's online
 * backup API (sqlite.org/backup.html; better-sqlite3's `backup`): pages are copied from one read snapshot,
 * so what the daemon commits meanwhile is either wholly in the copy or wholly not. Restore is a file copy with
 * the daemon stopped (docs/operations.md). On PostgreSQL the database's own tools do it (pg_dump); the command
 * says so rather than copy half a cluster's state.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { resolveConfig } from './config-source.js';
import { openStoreForCli } from './store-access.js';

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('copy the SQLite store to FILE while the daemon runs (consistent; restore: docs/operations.md)')
    .argument('<file>', 'where the copy goes (must not exist)')
    .option('-c, --config <file>', "the daemon's config (for store.path)")
    .action(async (file: string, options: { config?: string }) => {
      const { config, source } = resolveConfig(options.config);
      const target = resolve(file);
      if (existsSync(target)) {
        process.stderr.write(`telenode backup: ${target} exists; give a new file name (a backup never overwrites)\n`);
        process.exit(2);
      }
      const store = await openStoreForCli(config, source, { create: false });
      try {
        if (!store.db) {
          process.stderr.write(
            `telenode backup: the store is PostgreSQL (${store.location}); back it up with its own tools, e.g.\n` +
              `  pg_dump --format=custom --file=${file} "<store.url>"\n` +
              'and restore with pg_restore into an empty database, then start the nodes (docs/operations.md).\n',
          );
          process.exitCode = 2;
          return;
        }
        const started = Date.now();
        const { totalPages } = await store.db.backup(target);
        const messages = (store.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
        process.stdout.write(`backed up ${store.location} to ${target}: ${totalPages} pages, ${messages} messages, in ${Date.now() - started} ms\n`);
      } finally {
        await store.close();
      }
    });
}
