import type { Command } from 'commander';
import { hashPassword } from '../shared/password-hash.js';

export function registerHashPassword(program: Command): void {
  program
    .command('hash-password')
    .description('print the scrypt hash of a password for users[].passwordHash (reads stdin when no argument)')
    .argument('[password]', 'the password (prefer stdin: arguments show up in shell history)')
    .action(async (password?: string) => {
      let value = password;
      if (value === undefined) {
        const chunks: Buffer[] = [];
        for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
        value = Buffer.concat(chunks)
          .toString('utf8')
          .replace(/\r?\n$/, '');
      }
      if (!value) {
        process.stderr.write('telenode hash-password: empty password\n');
        process.exitCode = 2;
        return;
      }
      process.stdout.write(`${hashPassword(value)}\n`);
    });
}
