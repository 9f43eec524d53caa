/**
 * One root pino logger; modules take a child with stable keys
 * (`connectorId`, `messageId`, `callId`). Secrets are redacted by path, and
 * credentials inside URLs (a query's Password=, api_key=…, a URL's userinfo)
 * are redacted wherever a `url` or an error's message and stack carry them:
 * dialects put passwords in query strings, so any logged URL may hold one.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';

export type { Logger };

export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'Password',
  '*.Password',
  'secret',
  '*.secret',
  'passwordHash',
  '*.passwordHash',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'headers.securekey',
  '*.headers.securekey',
  'api_key',
  '*.api_key',
  'apiKey',
  '*.apiKey',
];

/** Query and form parameters that carry a credential in some dialect or in URLs users give us. */
const CREDENTIAL_PARAM = /([?&;](?:password|passwd|pwd|pass|secret|secure_?key|api_?key|apikey|access_?token|token|auth|signature|sig)=)[^&#\s"'<>]*/gi;
/** user:password@ in a URL's authority (RFC 3986 §3.2.1). */
const USERINFO_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^/\s@]*@/gi;

/** The same text with every credential in a URL replaced by [redacted]. */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIAL_PARAM, '$1[redacted]').replace(USERINFO_PASSWORD, '$1[redacted]@');
}

const SERIALIZERS = {
  url: (value: unknown) => (typeof value === 'string' ? redactCredentials(value) : value),
  err: (value: unknown) => {
    if (!(value instanceof Error)) return value;
    const serialized = pino.stdSerializers.err(value);
    serialized.message = redactCredentials(serialized.message);
    if (serialized.stack) serialized.stack = redactCredentials(serialized.stack);
    return serialized;
  },
};

export interface LogOptions {
  level?: string;
  /** auto: readable lines when stdout is a terminal, JSON lines otherwise (the default). */
  format?: 'auto' | 'json' | 'pretty';
  destination?: DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'telenode' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: SERIALIZERS,
      errorKey: 'err',
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? consoleDestination(options.format ?? 'auto'),
  );
}

/** Readable lines for a person at a terminal (pino-pretty, synchronous: no extra thread); JSON for everything else. */
function consoleDestination(format: 'auto' | 'json' | 'pretty'): DestinationStream | undefined {
  const tty = process.stdout.isTTY === true;
  if (format === 'json' || (format === 'auto' && !tty)) return undefined;
  // Loaded here, for a terminal only: a daemon under systemd logs JSON and need not carry it.
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pinoPretty({ sync: true, colorize: tty, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname,service' });
}

/** A logger that drops everything (unit tests, CLI tools that print their own output). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
