/**
 * Ozeki's call states (ozeki-ozml.md §1.6), as CallChanged and
 * ListActiveCalls report them, and the states ListCallHistory shows.
 *
 *   inbound:  Ringing ──answer──► Answered ─► InCall ──► Completed
 *                │                              └─REFER─► Transferred ─► Completed
 *                ├──caller gives up──────────────────────► Cancelled
 *                ├──Reject────────────────────────────────► Busy
 *                └──no ACK / failure──────────────────────► Error
 *   outbound: (Call command) ─answer─► Answered ─► InCall ─► Completed;
 *             busy/declined ─► Busy; no answer/failure ─► Error (ErrorUrl)
 */
import type { CallEndReason } from '../sip/call-control.js';

export const CallState = {
  Ringing: 'Ringing',
  InCall: 'InCall',
  Hold: 'Hold',
  Error: 'Error',
  Cancelled: 'Cancelled',
  Transferred: 'Transferred',
  Busy: 'Busy',
  Completed: 'Completed',
  Answered: 'Answered',
} as const;
export type CallState = (typeof CallState)[keyof typeof CallState];

/** The CallChanged state reported when the dialog ends. */
export function finalState(reason: CallEndReason, answered: boolean): CallState {
  if (answered && (reason === 'remote-hangup' || reason === 'local-hangup')) return CallState.Completed;
  switch (reason) {
    case 'cancelled':
      return CallState.Cancelled;
    case 'rejected':
      return CallState.Busy;
    case 'failed':
    case 'ack-timeout':
      return CallState.Error;
    default:
      return CallState.Completed;
  }
}

/** ListCallHistory's State, in the words of Ozeki's examples (CallerHangUp, CalleeHungUp, TransferCompleted). */
export function historyState(reason: CallEndReason, direction: 'inbound' | 'outbound', transferred: boolean): string {
  if (transferred) return 'TransferCompleted';
  switch (reason) {
    case 'remote-hangup':
      return direction === 'inbound' ? 'CallerHangUp' : 'CalleeHungUp';
    case 'local-hangup':
      return direction === 'inbound' ? 'CalleeHungUp' : 'CallerHangUp';
    case 'cancelled':
      return 'Cancelled';
    case 'rejected':
      return 'Rejected';
    default:
      return 'Error';
  }
}
