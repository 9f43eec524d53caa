/** Messages between ThreadSender (main thread) and sender-thread.ts (its task on the shared background thread). */
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

/** Main → thread: the attempts of one tick, or the order to finish (the task then closes its port). */
export type ToSender = { type: 'send'; attempts: SequencedAttempt[] } | { type: 'stop' };

/** Thread → main: outcomes, batched per turn of the thread's event loop. */
export type FromSender = SequencedOutcome[];
