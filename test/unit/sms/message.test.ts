import { describe, expect, it } from 'vitest';
import { MessageStatus as S, canTransition, rollUp, transition } from '../../../src/sms/message.js';
import { AppError } from '../../../src/shared/errors.js';

describe('message status state machine', () => {
  it('moves forward through the lifecycle', () => {
    expect(transition(S.Accepted, S.Submitted)).toBe(S.Submitted);
    expect(transition(S.Submitted, S.Buffered)).toBe(S.Buffered);
    expect(transition(S.Buffered, S.Delivered)).toBe(S.Delivered);
    expect(transition(S.Accepted, S.Failed)).toBe(S.Failed);
  });

  it('never moves backwards: a late ENROUTE after submit-level progress is refused', () => {
    expect(canTransition(S.Buffered, S.Submitted)).toBe(false);
    expect(() => transition(S.Buffered, S.Submitted)).toThrowError(AppError);
  });

  it('treats final states as terminal, even towards another final state', () => {
    expect(canTransition(S.Delivered, S.Failed)).toBe(false);
    // unknown (no report in time) is final for the client, but a late report corrects it
    expect(canTransition(S.Submitted, S.Unknown)).toBe(true);
    expect(canTransition(S.Unknown, S.Delivered)).toBe(true);
    expect(canTransition(S.Unknown, S.Failed)).toBe(true);
    expect(canTransition(S.Unknown, S.Buffered)).toBe(false);
    expect(canTransition(S.Delivered, S.Unknown)).toBe(false);
    expect(canTransition(S.Failed, S.Delivered)).toBe(false);
    expect(canTransition(S.Expired, S.Buffered)).toBe(false);
  });

  it('refuses a move to the same status', () => {
    expect(canTransition(S.Submitted, S.Submitted)).toBe(false);
  });
});

describe('rolling part statuses up into the message status', () => {
  it('is delivered only when every part is', () => {
    expect(rollUp([S.Delivered, S.Delivered, S.Delivered])).toBe(S.Delivered);
    expect(rollUp([S.Delivered, S.Submitted, S.Delivered])).toBe(S.Submitted);
  });

  it('fails as soon as any part fails, whatever the others say', () => {
    expect(rollUp([S.Delivered, S.Failed, S.Submitted])).toBe(S.Failed);
    expect(rollUp([S.Expired, S.Failed])).toBe(S.Failed);
  });

  it('expires when a part expired and none failed', () => {
    expect(rollUp([S.Delivered, S.Expired])).toBe(S.Expired);
  });

  it('is held back by the least advanced part', () => {
    expect(rollUp([S.Accepted, S.Submitted])).toBe(S.Accepted);
    expect(rollUp([S.Buffered, S.Delivered])).toBe(S.Buffered);
  });

  it('is accepted when nothing is known yet', () => {
    expect(rollUp([])).toBe(S.Accepted);
  });
});
