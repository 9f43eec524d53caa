import { describe, expect, it } from 'vitest';
import { SerialTask } from '../../../src/shared/serial-task.js';

/** A pass that waits until the test lets it finish, counting how many began and how many ran at once. */
function gatedPasses() {
  const gates: Array<() => void> = [];
  let running = 0;
  let mostAtOnce = 0;
  let began = 0;
  const pass = async () => {
    began++;
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    await new Promise<void>((resolve) => gates.push(resolve));
    running--;
  };
  const finishOne = async () => {
    while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve));
    gates.shift()!();
  };
  return { pass, finishOne, began: () => began, mostAtOnce: () => mostAtOnce };
}

describe('SerialTask', () => {
  it('runs a pass when asked, and one more (not one per ask) when asked during a pass', async () => {
    const passes = gatedPasses();
    const task = new SerialTask(passes.pass);
    task.request();
    task.request();
    task.request();
    expect(passes.began()).toBe(1);
    await passes.finishOne();
    await passes.finishOne();
    await task.idle();
    expect(passes.began()).toBe(2);
    expect(passes.mostAtOnce()).toBe(1);
  });

  it('idle() waits for the follow-up pass too', async () => {
    const passes = gatedPasses();
    const task = new SerialTask(passes.pass);
    task.request();
    task.request();
    let idle = false;
    const waiting = task.idle().then(() => (idle = true));
    await passes.finishOne();
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    await passes.finishOne();
    await waiting;
    expect(passes.began()).toBe(2);
  });

  it('a pass that rejects does not stop the next one', async () => {
    let calls = 0;
    const task = new SerialTask(async () => {
      calls++;
      if (calls === 1) throw new Error('database gone');
    });
    task.request();
    await task.idle();
    task.request();
    await task.idle();
    expect(calls).toBe(2);
  });
});
