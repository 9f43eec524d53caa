/** `telenode ozml lint FILE…`: check OzML scripts the way a call would parse them; exit 1 on any error. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { lintOzml } from '../voice/ozml/parse.js';

export function registerOzml(program: Command): void {
  const ozml = program.command('ozml').description('OzML call scripts');
  ozml
    .command('lint')
    .description('check OzML scripts: XML, verbs, attributes, Reject only first; errors as FILE:LINE:COLUMN')
    .argument('<files...>', 'OzML files')
    .action((files: string[]) => {
      let failed = 0;
      for (const file of files) {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          process.stderr.write(`${file}: cannot read: ${(err as Error).message}\n`);
          failed++;
          continue;
        }
        const errors = lintOzml(text);
        for (const err of errors) process.stderr.write(`${file}:${err.message}\n`);
        if (errors.length > 0) failed++;
        else process.stdout.write(`${file}: OK\n`);
      }
      if (failed > 0) process.exit(1);
    });
}
