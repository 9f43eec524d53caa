import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { openDatabase } from '../store/sqlite/db.js';
import { redactCredentials } from '../shared/log.js';
import { isAppError } from '../shared/errors.js';
import { resolveConfig } from './config-source.js';

/** `telenode migrate`: create or upgrade the store's schema (the daemon does the same at start). */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description("create or upgrade the store's schema (SQLite file or PostgreSQL database; the daemon also does this at start)")
    .option('-c, --config <file>', 'config file (for the store)')
    .action(async (options: { config?: string }) => {
      const { config } = resolveConfig(options.config);
      try {
        process.stdout.write(`${await migrate(config)}\n`);
      } catch (err) {
        process.stderr.write(`telenode migrate: ${isAppError(err) ? err.message : String(err)}\n`);
        process.exitCode = 2;
      }
    });
}

async function migrate(config: Readonly<Config>): Promise<string> {
  if (config.store.type === 'postgres') {
    const { createPool, migratePostgres } = await import('../store/postgres/pool.js');
    const pool = createPool({ url: config.store.url!, poolSize: 2 });
    try {
      return `${redactCredentials(config.store.url!)}: schema version ${await migratePostgres(pool)}`;
    } finally {
      await pool.end();
    }
  }
  const path = resolve(config.store.path);
  const db = openDatabase({ path, synchronous: config.store.synchronous });
  try {
    const { version } = db.prepare('SELECT version FROM schema_version').get() as { version: number };
    return `${path}: schema version ${version}`;
  } finally {
    db.close();
  }
}
