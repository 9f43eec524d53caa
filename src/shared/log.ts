/**
 * One root pino logger; modules take a child with stable keys
 * (`connectorId`, `messageId`, `callId`). Secrets are redacted by path.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

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
];

export interface LogOptions {
  level?: string;
  destination?: DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'telenode' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      errorKey: 'err',
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/** A logger that drops everything (unit tests, CLI tools that print their own output). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
