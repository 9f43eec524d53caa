/**
 * One error type for the whole node. Every error carries a stable `code`
 * (TN_ERR_<AREA>_<WHAT>), whether retrying can help, and the protocol's own
 * status where there is one (SMPP command_status, +CMS ERROR number, XML
 * line/column). Retry decisions read `retryable`, never the message text.
 */
export interface AppErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** The peer protocol's own status: SMPP command_status, CMS/CME error number, HTTP status … */
  protocolStatus?: number;
  /** Free-form structured details (config path, XML line/column, …). */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly protocolStatus: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.protocolStatus = options.protocolStatus;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      protocolStatus: this.protocolStatus,
      details: this.details,
    };
  }
}

/** Stable error codes. Add here, never inline a string elsewhere. */
export const ErrorCode = {
  CONFIG_INVALID: 'TN_ERR_CONFIG_INVALID',
  CONFIG_UNREADABLE: 'TN_ERR_CONFIG_UNREADABLE',
  STORE_FAILED: 'TN_ERR_STORE_FAILED',
  STORE_UNAVAILABLE: 'TN_ERR_STORE_UNAVAILABLE',
  MESSAGE_ILLEGAL_TRANSITION: 'TN_ERR_MESSAGE_ILLEGAL_TRANSITION',
  MESSAGE_TOO_LONG: 'TN_ERR_MESSAGE_TOO_LONG',
  MESSAGE_EMPTY: 'TN_ERR_MESSAGE_EMPTY',
  ROUTE_NOT_FOUND: 'TN_ERR_ROUTE_NOT_FOUND',
  CONNECTOR_DOWN: 'TN_ERR_CONNECTOR_DOWN',
  CONNECTOR_STOPPED: 'TN_ERR_CONNECTOR_STOPPED',
  SUBMIT_TIMEOUT: 'TN_ERR_SUBMIT_TIMEOUT',
  SMPP_THROTTLED: 'TN_ERR_SMPP_THROTTLED',
  SMPP_REJECTED: 'TN_ERR_SMPP_REJECTED',
  SMPP_BIND_FAILED: 'TN_ERR_SMPP_BIND_FAILED',
  SMPP_PROTOCOL: 'TN_ERR_SMPP_PROTOCOL',
  ENCODING_INVALID: 'TN_ERR_ENCODING_INVALID',
  PDU_INVALID: 'TN_ERR_PDU_INVALID',
  MODEM_ERROR: 'TN_ERR_MODEM_ERROR',
  MODEM_CMS_ERROR: 'TN_ERR_MODEM_CMS_ERROR',
  MODEM_CME_ERROR: 'TN_ERR_MODEM_CME_ERROR',
  MODEM_TIMEOUT: 'TN_ERR_MODEM_TIMEOUT',
  MODEM_CLOSED: 'TN_ERR_MODEM_CLOSED',
  MODEM_TEXT_MODE: 'TN_ERR_MODEM_TEXT_MODE',
  MODEM_NO_SUITABLE: 'TN_ERR_MODEM_NO_SUITABLE',
  /** The SIM refused the configured PIN, or has one try left: the modem stays down until an operator acts (never a second try). */
  MODEM_SIM_LOCKED: 'TN_ERR_MODEM_SIM_LOCKED',
  /** Another program holds the serial port (its exclusive lock). */
  MODEM_PORT_IN_USE: 'TN_ERR_MODEM_PORT_IN_USE',
  AUTH_REQUIRED: 'TN_ERR_AUTH_REQUIRED',
  AUTH_FAILED: 'TN_ERR_AUTH_FAILED',
  /** Too many failed log-ins from this source or for this user: refused until the lock-out ends (details: retryAfterSeconds). */
  AUTH_LOCKED: 'TN_ERR_AUTH_LOCKED',
  /** The user is who they say, but lacks the role (the console needs `users[].admin: true`; HTTP 403). */
  AUTH_FORBIDDEN: 'TN_ERR_AUTH_FORBIDDEN',
  /** A console request changing something came without the session's CSRF token (HTTP 403). */
  REQUEST_CSRF: 'TN_ERR_REQUEST_CSRF',
  /** The console asked for a message that is not in the store (HTTP 404). */
  MESSAGE_NOT_FOUND: 'TN_ERR_MESSAGE_NOT_FOUND',
  /** The console asked for a recording that is not in the recordings folder (HTTP 404). */
  RECORDING_NOT_FOUND: 'TN_ERR_RECORDING_NOT_FOUND',
  /** A call's recording could not be written to the recordings folder (a full disk, permissions): details in the message. */
  RECORDING_FAILED: 'TN_ERR_RECORDING_FAILED',
  REQUEST_INVALID: 'TN_ERR_REQUEST_INVALID',
  REQUEST_PARSE: 'TN_ERR_REQUEST_PARSE',
  /** The body's Content-Type is not one the endpoint accepts (HTTP 415). */
  REQUEST_MEDIA_TYPE: 'TN_ERR_REQUEST_MEDIA_TYPE',
  /** A browser page of another origin made the request to an endpoint whose credentials browsers send by themselves (HTTP 403). */
  REQUEST_FORBIDDEN_ORIGIN: 'TN_ERR_REQUEST_FORBIDDEN_ORIGIN',
  COMMAND_UNKNOWN: 'TN_ERR_COMMAND_UNKNOWN',
  COMMAND_MISSING: 'TN_ERR_COMMAND_MISSING',
  WEBHOOK_FAILED: 'TN_ERR_WEBHOOK_FAILED',
  /** An outbound URL the egress policy refuses: a scheme other than http(s), or an address in a denied range. */
  EGRESS_DENIED: 'TN_ERR_EGRESS_DENIED',
  SHUTTING_DOWN: 'TN_ERR_SHUTTING_DOWN',
  MEDIA_PORTS_EXHAUSTED: 'TN_ERR_MEDIA_PORTS_EXHAUSTED',
  MEDIA_UNREADABLE: 'TN_ERR_MEDIA_UNREADABLE',
  MEDIA_FETCH_FAILED: 'TN_ERR_MEDIA_FETCH_FAILED',
  /** The media worker thread failed to start or died; the calls on it end. */
  MEDIA_WORKER_FAILED: 'TN_ERR_MEDIA_WORKER_FAILED',
  TTS_FAILED: 'TN_ERR_TTS_FAILED',
  SDP_INVALID: 'TN_ERR_SDP_INVALID',
  SDP_NO_COMMON_CODEC: 'TN_ERR_SDP_NO_COMMON_CODEC',
  SIP_START_FAILED: 'TN_ERR_SIP_START_FAILED',
  SIP_REQUEST_FAILED: 'TN_ERR_SIP_REQUEST_FAILED',
  SIP_REGISTER_FAILED: 'TN_ERR_SIP_REGISTER_FAILED',
  CALL_ENDED: 'TN_ERR_CALL_ENDED',
  CALL_FAILED: 'TN_ERR_CALL_FAILED',
  /** The call is not in a state for this (answer a call that is not ringing, a request without a dialog). */
  CALL_STATE: 'TN_ERR_CALL_STATE',
  /** Digits asked to be sent on a call whose far end did not negotiate telephone-event (RFC 4733). */
  CALL_NO_DTMF: 'TN_ERR_CALL_NO_DTMF',
  QUOTA_EXCEEDED: 'TN_ERR_QUOTA_EXCEEDED',
  NUMBER_SMS_DISABLED: 'TN_ERR_NUMBER_SMS_DISABLED',
  NUMBER_NOT_OWNED: 'TN_ERR_NUMBER_NOT_OWNED',
  MESSAGE_EXPIRED: 'TN_ERR_MESSAGE_EXPIRED',
  /** The client cancelled the message before any part of it went to a carrier (SMPP cancel_sm). */
  MESSAGE_CANCELLED: 'TN_ERR_MESSAGE_CANCELLED',
  /** A message's send time (scheduled sending) is not before the time it expires: it could never go. */
  MESSAGE_SCHEDULE_INVALID: 'TN_ERR_MESSAGE_SCHEDULE_INVALID',
  /** Parts of a long message sent to the SMPP server did not all arrive within the reassembly timeout. */
  MESSAGE_INCOMPLETE: 'TN_ERR_MESSAGE_INCOMPLETE',
  /** No delivery report came within the connector's reportTimeoutMinutes: the message is `unknown`. */
  REPORT_TIMEOUT: 'TN_ERR_REPORT_TIMEOUT',
  CONTACT_INVALID: 'TN_ERR_CONTACT_INVALID',
  CONTACT_NOT_FOUND: 'TN_ERR_CONTACT_NOT_FOUND',
  CONTACT_EXISTS: 'TN_ERR_CONTACT_EXISTS',
  IOVOX_FLOW_INVALID: 'TN_ERR_IOVOX_FLOW_INVALID',
  IOVOX_LINK_INVALID: 'TN_ERR_IOVOX_LINK_INVALID',
  IOVOX_FAILOVER_CALL_FAILED: 'TN_ERR_IOVOX_FAILOVER_CALL_FAILED',
  EMAIL_FAILED: 'TN_ERR_EMAIL_FAILED',
  /** An OzML document that is not well-formed XML or breaks a verb's rules (details: line, column). */
  OZML_INVALID: 'TN_ERR_OZML_INVALID',
  /** The app behind a script URL timed out, failed, or answered non-2xx (protocolStatus: HTTP status). */
  OZML_APP_FAILED: 'TN_ERR_OZML_APP_FAILED',
  /** A script file could not be read. */
  OZML_FILE_UNREADABLE: 'TN_ERR_OZML_FILE_UNREADABLE',
  /** No voice route matches the called number: the fallback runs (or the call is refused, fallback.refuseWith). */
  OZML_NO_ROUTE: 'TN_ERR_OZML_NO_ROUTE',
  /** An OzML verb failed while running (details: verb, line, column). */
  OZML_VERB_FAILED: 'TN_ERR_OZML_VERB_FAILED',
  CALL_NOT_FOUND: 'TN_ERR_CALL_NOT_FOUND',
  /** A failure of ours without a code of its own (a bug): the log has the details. */
  INTERNAL: 'TN_ERR_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Wrap anything thrown into an AppError, keeping the original as `cause`. */
export function toAppError(err: unknown, code: ErrorCode, retryable = false): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(code, message, { cause: err, retryable });
}
