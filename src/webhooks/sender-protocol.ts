/** Messages between ThreadSender (main thread) and sender-thread.ts (its worker). */
import type { CallbackAttempt, CallbackOutcome, HttpSenderOptions } from './http-sender.js';

export type SenderWorkerData = HttpSenderOptions;

/** Main → worker: the attempts of one tick, or the order to finish. */
export type ToSender = { type: 'send'; attempts: Array<{ seq: number; attempt: CallbackAttempt }> } | { type: 'stop' };

/** Worker → main: outcomes, batched per tick. */
export type FromSender = { type: 'outcomes'; outcomes: Array<{ seq: number; outcome: CallbackOutcome }> } | { type: 'stopped' };
