/**
 * Voximplant's error object, `{"error": {"code": <number>, "msg": "<text>"}}`
 * (the Management API's APIError), and the one place our errors become its
 * codes. The codes are Voximplant's published HTTP API error numbers where
 * one means the same thing; docs/voximplant.md lists which error gets which.
 */
import { ErrorCode, isAppError } from '../../shared/errors.js';

export const VoximplantCode = {
  /** Voximplant: "Internal error" — our store failed or we are shutting down (HTTP 500/503). */
  InternalError: 2,
  /** Voximplant: "Billing failed" — the user's quota is spent. */
  BillingFailed: 5,
  /** Voximplant: "SMS gateway error" — no route (dial plan) for the destination. */
  SmsGatewayError: 14,
  AuthorizationFailed: 100,
  InvalidArguments: 101,
  /** Voximplant: "Missing 'cmd' parameter". */
  MissingCommand: 102,
  UnknownCommand: 103,
  /** Voximplant: "Forbidden command" — SMS switched off for the number, or a number the user does not own. */
  ForbiddenCommand: 104,
  OutputFormatNotSupported: 105,
  InvalidDateFormat: 111,
} as const;
export type VoximplantCode = (typeof VoximplantCode)[keyof typeof VoximplantCode];

export interface VoximplantErrorBody {
  error: { code: number; msg: string };
}

export function voximplantError(code: VoximplantCode, msg: string): VoximplantErrorBody {
  return { error: { code, msg } };
}

/** Request fields whose errors have a code of their own. */
const FIELD_CODES: Record<string, VoximplantCode> = {
  from_date: VoximplantCode.InvalidDateFormat,
  to_date: VoximplantCode.InvalidDateFormat,
  output: VoximplantCode.OutputFormatNotSupported,
};

/** Our error as Voximplant's code and text; null for an error that is not the request's fault (HTTP 5xx). */
export function toVoximplantError(err: unknown): { code: VoximplantCode; msg: string } | null {
  if (!isAppError(err)) return null;
  const field = typeof err.details?.['field'] === 'string' ? (err.details['field'] as string) : '';
  switch (err.code) {
    case ErrorCode.REQUEST_INVALID:
    case ErrorCode.MESSAGE_EMPTY:
    case ErrorCode.MESSAGE_TOO_LONG:
    case ErrorCode.ENCODING_INVALID:
      return { code: FIELD_CODES[field] ?? VoximplantCode.InvalidArguments, msg: field ? `Invalid '${field}': ${err.message}` : err.message };
    case ErrorCode.REQUEST_PARSE:
      return { code: VoximplantCode.InvalidArguments, msg: err.message };
    case ErrorCode.AUTH_REQUIRED:
    case ErrorCode.AUTH_FAILED:
      return { code: VoximplantCode.AuthorizationFailed, msg: 'Authorization failed' };
    case ErrorCode.AUTH_LOCKED:
      return { code: VoximplantCode.AuthorizationFailed, msg: `Authorization failed: ${err.message}` };
    case ErrorCode.COMMAND_UNKNOWN:
      return { code: VoximplantCode.UnknownCommand, msg: err.message };
    case ErrorCode.COMMAND_MISSING:
      return { code: VoximplantCode.MissingCommand, msg: err.message };
    case ErrorCode.QUOTA_EXCEEDED:
      return { code: VoximplantCode.BillingFailed, msg: `Not enough credit: ${err.message}` };
    case ErrorCode.NUMBER_SMS_DISABLED:
    case ErrorCode.NUMBER_NOT_OWNED:
      return { code: VoximplantCode.ForbiddenCommand, msg: err.message };
    case ErrorCode.ROUTE_NOT_FOUND:
      return { code: VoximplantCode.SmsGatewayError, msg: err.message };
    default:
      return null;
  }
}

/** An error that escaped a method (or that fastify raised): always the error object, never fastify's. */
export function renderVoximplantError(err: Error & { statusCode?: number; code?: string }): { status: number; body: VoximplantErrorBody } {
  const mapped = toVoximplantError(err);
  if (mapped) return { status: 200, body: voximplantError(mapped.code, mapped.msg) };
  const clientError = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500;
  if (clientError) return { status: 200, body: voximplantError(VoximplantCode.InvalidArguments, err.message) };
  const status = err.code === ErrorCode.SHUTTING_DOWN || err.code === ErrorCode.STORE_UNAVAILABLE ? 503 : 500;
  return { status, body: voximplantError(VoximplantCode.InternalError, `Internal error, try again: ${err.message}`) };
}
