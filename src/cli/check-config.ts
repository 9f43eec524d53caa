import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { redactCredentials } from '../shared/log.js';
import { AppError, ErrorCode, isAppError } from '../shared/errors.js';
import { CHECK_MEMORY_BYTES, checkMemoryBytes } from '../shared/password-hash.js';

export function registerCheckConfig(program: Command): void {
  program
    .command('check-config')
    .description('validate a config file with the same checks the daemon runs at start-up (and that a PostgreSQL store answers)')
    .argument('<file>', 'YAML config file')
    .action(async (file: string) => {
      try {
        const config = loadConfigFile(file);
        const postgres = config.store.type === 'postgres' ? await postgresAnswers(config) : null;
        const store = postgres?.answer ?? `store ${config.store.path}`;
        process.stdout.write(
          `${file}: OK — HTTP ${config.http.host}:${config.http.port}, ${config.connectors.length} connector(s), ` +
            `${config.routes.length} route(s), ${config.users.length} user(s), ${store}, node ${config.node.id}\n`,
        );
        for (const note of [...(postgres?.notes ?? []), ...heavyPasswordHashes(config)]) process.stdout.write(`note: ${note}\n`);
      } catch (err) {
        process.stderr.write(`${isAppError(err) ? err.message : String(err)}\n`);
        process.exitCode = 2;
      }
    });
}

/**
 * "PostgreSQL … answers" with its version and our schema's, or an error naming the database (no password); and a
 * note when the role may not create the schema the warm-up at start runs in (decision 0117), so it warms up on SQLite.
 */
async function postgresAnswers(config: Readonly<Config>): Promise<{ answer: string; notes: string[] }> {
  const where = redactCredentials(config.store.url!);
  const { createPool } = await import('../store/postgres/pool.js');
  const pool = createPool({ url: config.store.url!, poolSize: 2, connectTimeoutMs: 5000 });
  try {
    const server = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    const schema = await pool
      .query<{ version: number }>('SELECT version FROM schema_version')
      .then((r) => `schema version ${r.rows[0]?.version ?? 0}`)
      .catch(() => 'no schema yet: `telenode migrate` or the first start creates it');
    const mayCreate = (await pool.query<{ may: boolean }>("SELECT has_database_privilege(current_database(), 'CREATE') AS may")).rows[0]!.may;
    const notes =
      config.warmUp.messages > 0 && !mayCreate
        ? [
            `store.url: this role may not create schemas in the database, so the warm-up at start runs on SQLite and the ` +
              `node's PostgreSQL code starts cold (GRANT CREATE ON DATABASE to the role: docs/performance.md, "A fresh start")`,
          ]
        : [];
    return { answer: `PostgreSQL ${server} at ${where} answers (${schema})`, notes };
  } catch (err) {
    throw new AppError(ErrorCode.STORE_FAILED, `store.url: PostgreSQL at ${where} does not answer: ${(err as Error).message}`, { cause: err });
  } finally {
    await pool.end();
  }
}

/**
 * Users whose password hash takes more memory a check than one `telenode hash-password` prints now (hashes printed
 * before decision 0135 take 16 MiB): they still work, and printing them again lowers the node's peak.
 */
function heavyPasswordHashes(config: Readonly<Config>): string[] {
  const mib = (bytes: number) => `${Math.round(bytes / 1048576)} MiB`;
  return config.users.flatMap((user, i) => {
    const bytes = checkMemoryBytes(user.passwordHash);
    if (bytes === null || bytes <= CHECK_MEMORY_BYTES) return [];
    return [
      `users[${i}] (${user.username}): its password hash takes ${mib(bytes)} a log-in check; ` +
        `\`telenode hash-password\` prints one that takes ${mib(CHECK_MEMORY_BYTES)} (decision 0135)`,
    ];
  });
}
