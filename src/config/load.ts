/**
 * Reads a YAML config file, validates it against the one schema and returns
 * it frozen. Every mistake is reported with its exact path
 * (`connectors[0].port: expected number, received string`).
 */
import { readFileSync } from 'node:fs';
import { parseDocument, type YAMLError } from 'yaml';
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
    // zod says "Invalid input: expected string, received undefined" for a key that is not there.
    if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
      return { path: formatPath(issue.path), message: `required (${issue.expected})` };
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
  if (doc.errors.length > 0)
    throw new ConfigError(
      path,
      doc.errors.map((e) => yamlProblem(e, text)),
    );
  return parseConfig(doc.toJS(), path);
}

/**
 * A YAML error where the reader should look. The parser finds an unclosed quote only at the end of the file;
 * the line that opened it is the last one before with an odd number of that quote character.
 */
function yamlProblem(error: YAMLError, text: string): ConfigProblem {
  let line = error.linePos?.[0]?.line;
  let col = error.linePos?.[0]?.col;
  let message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const quote = error.code === 'MISSING_CHAR' ? /closing (["'])quote/.exec(error.message)?.[1] : undefined;
  if (quote && line !== undefined) {
    const lines = text.split('\n');
    for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
      if ((lines[i]!.split(quote).length - 1) % 2 === 1) {
        line = i + 1;
        col = lines[i]!.indexOf(quote) + 1;
        message = `this ${quote === '"' ? 'double' : 'single'}-quoted value is never closed`;
        break;
      }
    }
  }
  return { path: `line ${line ?? '?'}, column ${col ?? '?'}`, message };
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
