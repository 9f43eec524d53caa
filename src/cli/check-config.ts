import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.js';
import { isAppError } from '../shared/errors.js';

export function registerCheckConfig(program: Command): void {
  program
    .command('check-config')
    .description('validate a config file with the same checks the daemon runs at start-up')
    .argument('<file>', 'YAML config file')
    .action((file: string) => {
      try {
        const config = loadConfigFile(file);
        process.stdout.write(
          `${file}: OK — HTTP ${config.http.host}:${config.http.port}, ${config.connectors.length} connector(s), ` +
            `${config.routes.length} route(s), ${config.users.length} user(s), store ${config.store.path}\n`,
        );
      } catch (err) {
        process.stderr.write(`${isAppError(err) ? err.message : String(err)}\n`);
        process.exitCode = 2;
      }
    });
}
