/**
 * Parameter readers shared by the Voximplant methods. Each refuses a bad
 * value with REQUEST_INVALID naming the parameter, which becomes Voximplant
 * error 101 (or the parameter's own code, see errors.ts).
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { Params } from '../http/request-params.js';

/** A required, non-blank parameter. */
export function requiredParam(params: Params, name: string): string {
  const value = params.get(name)?.trim();
  if (!value) throw invalidArgument(name, 'is required');
  return value;
}

/** Voximplant booleans: true/false, 1/0 (any case); absent gives `fallback`. */
export function booleanParam(params: Params, name: string, fallback: boolean): boolean {
  const value = params.get(name)?.trim().toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalidArgument(name, 'must be true or false');
}

/** A whole number in [min, max]; absent gives `fallback`. */
export function integerParam(params: Params, name: string, min: number, max: number, fallback: number): number {
  const value = params.get(name)?.trim();
  if (value === undefined || value === '') return fallback;
  if (!/^[0-9]+$/.test(value)) throw invalidArgument(name, 'must be a whole number');
  const n = Number(value);
  if (n < min || n > max) throw invalidArgument(name, `must be between ${min} and ${max} (got ${value.slice(0, 20)})`);
  return n;
}

/** Text of at most `max` characters (Unicode code points, as a person counts them). */
export function textParam(params: Params, name: string, max: number): string {
  const value = params.get(name);
  if (value === undefined || value.length === 0) throw invalidArgument(name, 'is required');
  const length = [...value].length;
  if (length > max) throw invalidArgument(name, `at most ${max} characters (got ${length})`);
  return value;
}

export function invalidArgument(field: string, why: string): AppError {
  return new AppError(ErrorCode.REQUEST_INVALID, why, { details: { field } });
}
