/**
 * How CLI commands open the daemon's store: the path comes from the config the
 * daemon uses (--config, $TELENODE_CONFIG, or the embedded defaults), relative
 * paths resolve against the current directory as the daemon's do, and a
 * command that only reads or changes what is there never creates an empty
 * store somewhere else (it would answer "0 dead letters" about the wrong file).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { openStore, type Store } from '../app/store.js';

/**
 * The store as a CLI command uses it: the repos' executor, a committer for writes, and a way to close it.
 * On PostgreSQL the URL names the database outright, so the schema is brought up to date as the daemon's
 * start does.
 */
export async function openStoreForCli(
  config: Readonly<Config>,
  source: string,
  options: { create: boolean },
): Promise<Pick<Store, 'type' | 'location' | 'db' | 'sql' | 'committer' | 'close'>> {
  if (config.store.type === 'sqlite') {
    const path = resolve(config.store.path);
    if (!options.create && !existsSync(path)) {
      process.stderr.write(
        `telenode: no store at ${path} (store.path from ${source}).\n` +
          "Run the command where the daemon runs, or pass the daemon's config with --config (or TELENODE_CONFIG).\n",
      );
      process.exit(2);
    }
    if (!existsSync(path)) process.stderr.write(`telenode: creating the store at ${path} (store.path from ${source})\n`);
  }
  return openStore(config, new Registry());
}
