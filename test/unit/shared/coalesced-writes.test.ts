import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { coalesceWrites } from '../../../src/shared/coalesced-writes.js';

/** A stream that records how many chunks each write to the "wire" carried. */
function wire(): { stream: Writable; writes: number[] } {
  const writes: number[] = [];
  const stream = new Writable({
    write(_chunk, _encoding, done) {
      writes.push(1);
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.length);
      done();
    },
  });
  return { stream, writes };
}

describe('coalesceWrites', () => {
  it('sends the PDUs written in one tick as one write, and the next tick starts a new one', async () => {
    const { stream, writes } = wire();
    for (const pdu of ['a', 'b', 'c']) {
      coalesceWrites(stream, (uncork) => process.nextTick(uncork));
      stream.write(pdu);
    }
    expect(writes).toEqual([]);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(writes).toEqual([3]);
    expect(stream.writableCorked).toBe(0);
    coalesceWrites(stream);
    stream.write('d');
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([3, 1]);
  });

  it('holds the writes until the release it is given runs', async () => {
    const { stream, writes } = wire();
    let release: () => void = () => undefined;
    coalesceWrites(stream, (uncork) => (release = uncork));
    stream.write('a');
    await new Promise((resolve) => setImmediate(resolve));
    coalesceWrites(stream, () => expect.fail('already corked: no second cork'));
    stream.write('b');
    expect(writes).toEqual([]);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([2]);
  });
});
