/**
 * Reads a YAML config file, validates it against the one schema and returns
 * it frozen. Every mistake is reported with its exact path
 * (`connectors[0].port: expected number, received string`).
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { AppError, ErrorCode } from '../shared/errors.js';

export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends AppError {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(ErrorCode.CONFIG_INVALID, `invalid config ${source}:\n${problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n')}`, {
      details: { source, problems },
    });
    this.name = 'ConfigError';
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function issuesToProblems(issues: ReadonlyArray<z.core.$ZodIssue>): ConfigProblem[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { path: formatPath(issue.path), message: `unknown option(s): ${issue.keys.join(', ')}` };
    }
    return { path: formatPath(issue.path), message: issue.message };
  });
}

/** Validate an already-parsed object (defaults applied, frozen). */
export function parseConfig(raw: unknown, source = '<inline>'): Readonly<Config> {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(source, issuesToProblems(result.error.issues));
  return deepFreeze(result.data);
}

/** Read, parse and validate a YAML file. */
export function loadConfigFile(path: string): Readonly<Config> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AppError(ErrorCode.CONFIG_UNREADABLE, `cannot read config ${path}: ${(err as Error).message}`, { cause: err });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      path,
      doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}, column ${e.linePos?.[0]?.col ?? '?'}`, message: e.message.split('\n')[0]! })),
    );
  }
  return parseConfig(doc.toJS(), path);
}

/** The embedded defaults: what `telenode start` runs without a config file. */
export function defaultConfig(): Readonly<Config> {
  return parseConfig({}, '<embedded defaults>');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
