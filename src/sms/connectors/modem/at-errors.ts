/**
 * Final result codes that are errors (3GPP TS 27.007 §9.2 +CME ERROR,
 * 27.005 §3.2.5 +CMS ERROR), as typed errors with the number kept and
 * whether trying again later can help.
 */
import { AppError, ErrorCode } from '../../../shared/errors.js';

/** +CMS ERROR values worth another attempt: network and SMSC trouble, not a bad message. */
const CMS_RETRYABLE = new Set([
  38, // network out of order
  41, // temporary failure
  42, // congestion
  47, // resources unavailable
  331, // no network service
  332, // network timeout
  500, // unknown error (SIM800 and others say this for transient radio trouble)
  512, // vendor: MM establishment failure (Quectel, SIMCom); also an SMS arriving during the send
  513, // vendor: lower layer failure
  514, // vendor: congestion
]);

/** +CME ERROR values worth another attempt: SIM busy, no network, not yet ready. */
const CME_RETRYABLE = new Set([14, 30, 31, 32, 100, 515]);

export function cmsError(code: number, command: string): AppError {
  return new AppError(ErrorCode.MODEM_CMS_ERROR, `+CMS ERROR: ${code} after ${command}`, {
    protocolStatus: code,
    retryable: CMS_RETRYABLE.has(code),
    details: { command },
  });
}

export function cmeError(code: number, command: string): AppError {
  return new AppError(ErrorCode.MODEM_CME_ERROR, `+CME ERROR: ${code} after ${command}`, {
    protocolStatus: code,
    retryable: CME_RETRYABLE.has(code),
    details: { command },
  });
}

/** A bare ERROR (or Huawei's COMMAND NOT SUPPORT) says nothing about the cause: retry. */
export function plainError(command: string, result = 'ERROR'): AppError {
  return new AppError(ErrorCode.MODEM_ERROR, `${result} after ${command}`, { retryable: true, details: { command } });
}

/** "+CMS ERROR: unknown error" (AT+CMEE=2 or firmware that ignores CMEE=1): no number to judge by, so retry. */
export function textualError(line: string, command: string): AppError {
  const code = line.startsWith('+CMS') ? ErrorCode.MODEM_CMS_ERROR : ErrorCode.MODEM_CME_ERROR;
  return new AppError(code, `${line} after ${command}`, { retryable: true, details: { command, text: line.replace(/^\+CM[SE] ERROR:\s*/, '') } });
}
