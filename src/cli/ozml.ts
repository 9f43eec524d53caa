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
        let errors: { message: string }[];
        try {
          errors = lintOzml(text);
        } catch (err) {
          // A fault of ours on one file must not cost the report on the others.
          errors = [{ message: `1:1: could not be checked: ${(err as Error).message}` }];
        }
        for (const err of errors) process.stderr.write(`${file}:${err.message}\n`);
        if (errors.length > 0) failed++;
        else process.stdout.write(`${file}: OK\n`);
      }
      // exitCode, not exit(): the process ends once stdout and stderr are flushed into a slow pipe.
      if (failed > 0) process.exitCode = 1;
    });
}
