import type { Command } from 'commander';
import { generateApiKey, hashApiKey } from '../shared/api-key.js';

export function registerApiKey(program: Command): void {
  program
    .command('api-key')
    .description('print a new random API key (for the client) and its hash (for users[].apiKeyHashes)')
    .action(() => {
      const key = generateApiKey();
      process.stdout.write(`api_key:      ${key}\napiKeyHashes: ["${hashApiKey(key)}"]\n`);
    });
}
