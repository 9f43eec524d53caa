/** Messages between ThreadSender (main thread) and sender-thread.ts (its worker). */
import type { CallbackAttempt, CallbackOutcome, HttpSenderOptions } from './http-sender.js';

export type SenderWorkerData = HttpSenderOptions;

export interface SequencedAttempt {
  seq: number;
  attempt: CallbackAttempt;
}

export interface SequencedOutcome {
  seq: number;
  outcome: CallbackOutcome;
}

/** Main → worker: the attempts of one tick, or the order to finish (the worker then exits). */
export type ToSender = { type: 'send'; attempts: SequencedAttempt[] } | { type: 'stop' };

/** Worker → main: outcomes, batched per turn of the worker's event loop. */
export type FromSender = SequencedOutcome[];
