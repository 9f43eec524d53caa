/**
 * A callback receiver the test scripts: every attempt is recorded, and
 * answered by `answer` (a status, or an error as if the connection failed).
 * For unit tests of the webhook dispatcher without HTTP.
 */
import type { CallbackAttempt, CallbackOutcome, CallbackSender } from '../../src/webhooks/http-sender.js';

export class FakeCallbackSender implements CallbackSender {
  readonly attempts: CallbackAttempt[] = [];
  /** What the receiver answers now (change it to take the receiver down or bring it back); a promise holds the answer. */
  answer: (attempt: CallbackAttempt) => CallbackOutcome | Promise<CallbackOutcome> = () => ({ status: 200 });

  async send(attempt: CallbackAttempt): Promise<CallbackOutcome> {
    this.attempts.push(attempt);
    return this.answer(attempt);
  }

  async close(): Promise<void> {}
}
