import type { Command } from 'commander';
import { Daemon } from '../app/daemon.js';
import { limitHeapGrowth } from '../app/heap-growth.js';
import { warmUp } from '../app/warm-up.js';
import { createLogger } from '../shared/log.js';
import { isAppError } from '../shared/errors.js';
import { resolveConfig } from './config-source.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the daemon (embedded defaults when no config is given)')
    .option('-c, --config <file>', 'YAML config file (default: $TELENODE_CONFIG or the embedded defaults)')
    .action(async (options: { config?: string }) => {
      let resolved;
      try {
        resolved = resolveConfig(options.config);
      } catch (err) {
        process.stderr.write(`${isAppError(err) ? err.message : String(err)}\ntelenode refuses to start with this config.\n`);
        process.exit(2);
      }
      limitHeapGrowth();
      const log = createLogger({ level: resolved.config.log.level, format: resolved.config.log.format });
      const daemon = await Daemon.start({ config: resolved.config, configSource: resolved.source, log, beforeListen: () => warmUp(resolved.config, log) });
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'signal received');
        daemon
          .stop()
          .then(() => process.exit(0))
          .catch((err: unknown) => {
            log.error({ err }, 'unclean stop');
            process.exit(1);
          });
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    });
}
