/**
 * SMPP 3.4 command_status values (§5.1.3) and what telenode does with each:
 * throttling answers pause the bind and resend the same part; transient ones
 * fail the attempt so the outbox retries later; everything else is permanent
 * and fails the message with the status kept.
 */
import { AppError, ErrorCode } from '../../../shared/errors.js';

export const SmppStatus: Record<string, number> = {
  ESME_ROK: 0x00,
  ESME_RINVMSGLEN: 0x01,
  ESME_RINVCMDLEN: 0x02,
  ESME_RINVCMDID: 0x03,
  ESME_RINVBNDSTS: 0x04,
  ESME_RALYBND: 0x05,
  ESME_RINVPRTFLG: 0x06,
  ESME_RINVREGDLVFLG: 0x07,
  ESME_RSYSERR: 0x08,
  ESME_RINVSRCADR: 0x0a,
  ESME_RINVDSTADR: 0x0b,
  ESME_RINVMSGID: 0x0c,
  ESME_RBINDFAIL: 0x0d,
  ESME_RINVPASWD: 0x0e,
  ESME_RINVSYSID: 0x0f,
  ESME_RCANCELFAIL: 0x11,
  ESME_RREPLACEFAIL: 0x13,
  ESME_RMSGQFUL: 0x14,
  ESME_RINVSERTYP: 0x15,
  ESME_RINVNUMDESTS: 0x33,
  ESME_RINVDLNAME: 0x34,
  ESME_RINVDESTFLAG: 0x40,
  ESME_RINVSUBREP: 0x42,
  ESME_RINVESMCLASS: 0x43,
  ESME_RCNTSUBDL: 0x44,
  ESME_RSUBMITFAIL: 0x45,
  ESME_RINVSRCTON: 0x48,
  ESME_RINVSRCNPI: 0x49,
  ESME_RINVDSTTON: 0x50,
  ESME_RINVDSTNPI: 0x51,
  ESME_RINVSYSTYP: 0x53,
  ESME_RINVREPFLAG: 0x54,
  ESME_RINVNUMMSGS: 0x55,
  ESME_RTHROTTLED: 0x58,
  ESME_RINVSCHED: 0x61,
  ESME_RINVEXPIRY: 0x62,
  ESME_RINVDFTMSGID: 0x63,
  ESME_RX_T_APPN: 0x64,
  ESME_RX_P_APPN: 0x65,
  ESME_RX_R_APPN: 0x66,
  ESME_RQUERYFAIL: 0x67,
  ESME_RINVOPTPARSTREAM: 0xc0,
  ESME_ROPTPARNOTALLWD: 0xc1,
  ESME_RINVPARLEN: 0xc2,
  ESME_RMISSINGOPTPARAM: 0xc3,
  ESME_RINVOPTPARAMVAL: 0xc4,
  ESME_RDELIVERYFAILURE: 0xfe,
  ESME_RUNKNOWNERR: 0xff,
};

const NAMES = new Map<number, string>(Object.entries(SmppStatus).map(([name, code]) => [code, name]));

export function statusName(status: number): string {
  return NAMES.get(status) ?? `0x${status.toString(16).padStart(8, '0')}`;
}

/** Pause the bind and send the same part again (SMPP 3.4 §5.1.3: "Throttling error", "Message Queue Full"). */
const THROTTLING = new Set([SmppStatus['ESME_RTHROTTLED']!, SmppStatus['ESME_RMSGQFUL']!]);

/**
 * Worth another attempt later: the SMSC's own trouble, not the message's.
 * ESME_RX_T_APPN is "temporary app error"; ESME_RINVBNDSTS means our session
 * state was wrong (a rebind fixes it).
 */
const TRANSIENT = new Set([
  SmppStatus['ESME_RSYSERR']!,
  SmppStatus['ESME_RSUBMITFAIL']!,
  SmppStatus['ESME_RX_T_APPN']!,
  SmppStatus['ESME_RINVBNDSTS']!,
  SmppStatus['ESME_RDELIVERYFAILURE']!,
  SmppStatus['ESME_RUNKNOWNERR']!,
]);

export function isThrottling(status: number): boolean {
  return THROTTLING.has(status);
}

/** The error a non-zero submit_sm_resp becomes. */
export function submitError(status: number): AppError {
  const name = statusName(status);
  if (isThrottling(status)) {
    return new AppError(ErrorCode.SMPP_THROTTLED, `SMSC throttled the submit (${name})`, { retryable: true, protocolStatus: status });
  }
  const retryable = TRANSIENT.has(status);
  return new AppError(ErrorCode.SMPP_REJECTED, `SMSC refused the submit: ${name} (0x${status.toString(16).padStart(8, '0')})`, {
    retryable,
    protocolStatus: status,
  });
}
