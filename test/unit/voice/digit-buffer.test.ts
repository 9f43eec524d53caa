import { describe, expect, it } from 'vitest';
import { DigitBuffer, MAX_PENDING_DIGITS } from '../../../src/voice/digit-buffer.js';

describe('DigitBuffer', () => {
  it('holds at most MAX_PENDING_DIGITS typed ahead (a peer sending events by the thousand), keeping the first, and still tells listeners of every one', async () => {
    const b = new DigitBuffer();
    let heard = 0;
    b.onDigit(() => heard++);
    b.push('1');
    for (let i = 0; i < 100_000; i++) b.push('9');
    expect(b.pending.length).toBe(MAX_PENDING_DIGITS);
    expect(heard).toBe(100_001);
    expect(await b.collect({ maxDigits: 3, firstDigitTimeoutMs: 10, interDigitTimeoutMs: 10 })).toEqual({
      digits: '199',
      reason: 'max-digits',
      terminator: null,
    });
  });

  it('keeps digits typed ahead and hands them to the next collect', async () => {
    const b = new DigitBuffer();
    b.push('1');
    b.push('2');
    const result = await b.collect({ maxDigits: 2, firstDigitTimeoutMs: 10, interDigitTimeoutMs: 10 });
    expect(result).toEqual({ digits: '12', reason: 'max-digits', terminator: null });
  });

  it('stops at a terminator without including it, leaving later digits buffered', async () => {
    const b = new DigitBuffer();
    for (const d of '45#9') b.push(d);
    expect(await b.collect({ maxDigits: 10, firstDigitTimeoutMs: 10, interDigitTimeoutMs: 10, terminators: '#' })).toEqual({
      digits: '45',
      reason: 'terminator',
      terminator: '#',
    });
    expect(b.pending).toBe('9');
  });

  it('times out between digits with what it has', async () => {
    const b = new DigitBuffer();
    setTimeout(() => b.push('7'), 20);
    const started = Date.now();
    const result = await b.collect({ maxDigits: 4, firstDigitTimeoutMs: 1000, interDigitTimeoutMs: 100 });
    expect(result).toEqual({ digits: '7', reason: 'timeout', terminator: null });
    expect(Date.now() - started).toBeLessThan(600);
  });

  it('returns at once when the call ends', async () => {
    const b = new DigitBuffer();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const result = await b.collect({ maxDigits: 4, firstDigitTimeoutMs: 10_000, interDigitTimeoutMs: 10_000, signal: controller.signal });
    expect(result.reason).toBe('aborted');
  });
});
