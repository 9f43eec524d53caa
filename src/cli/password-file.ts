import { readFileSync } from 'node:fs';

/** The generated admin password, or a clear word about where to find one. */
export function readPasswordFile(file: string, command: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    process.stderr.write(
      `telenode ${command}: cannot read the password file ${file}; pass --password, or --password-file where the daemon keeps it (next to its store).\n`,
    );
    process.exit(2);
  }
}
