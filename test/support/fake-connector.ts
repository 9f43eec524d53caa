/**
 * A connector whose answers the test decides, part by part: accept with a
 * carrier id, refuse (retryable or not), or hold the answer until released.
 * Records every part it was given.
 */
import type { Connector, ConnectorStatus, SubmitPart } from '../../src/sms/connectors/connector.js';
import { AppError, ErrorCode } from '../../src/shared/errors.js';

export type FakeAnswer = { id: string } | { error: AppError } | 'hold';

export class FakeConnector implements Connector {
  readonly kind = 'simulator' as const;
  readonly concatMode = 'udh8' as const;
  readonly submitted: SubmitPart[] = [];
  /** Parts the outbox may hold with it until their answers are committed; none: no limit. */
  pipelineLimit?: number;
  /** The next answers, in order; when empty, every part is accepted with a fresh id. */
  readonly answers: FakeAnswer[] = [];
  up = true;
  private held: Array<() => void> = [];
  private nextId = 1;

  constructor(readonly id = 'fake') {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  isUp(): boolean {
    return this.up;
  }

  submit(part: SubmitPart): Promise<string> {
    this.submitted.push(part);
    const answer = this.answers.shift() ?? { id: `C${this.nextId++}` };
    if (answer === 'hold') return new Promise((resolve) => this.held.push(() => resolve(`C${this.nextId++}`)));
    return 'error' in answer ? Promise.reject(answer.error) : Promise.resolve(answer.id);
  }

  /** Answer every held part (accepted). */
  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  status(): ConnectorStatus {
    return { id: this.id, kind: this.kind, up: this.up, binds: [], queued: 0 };
  }

  static retryable(message = 'no answer'): FakeAnswer {
    return { error: new AppError(ErrorCode.SUBMIT_TIMEOUT, message, { retryable: true }) };
  }

  static refused(message = 'invalid destination'): FakeAnswer {
    return { error: new AppError(ErrorCode.SMPP_REJECTED, message, { retryable: false, protocolStatus: 0x0b }) };
  }
}
