/**
 * ThreadSender's task on the shared background thread: an HttpSender that
 * takes attempts in batches and posts their outcomes back in batches (one
 * message per turn of the event loop each way, not one per callback).
 */
import type { MessagePort } from 'node:worker_threads';
import { TickBatch } from '../shared/tick-batch.js';
import { HttpSender } from './http-sender.js';
import type { FromSender, SenderWorkerData, SequencedOutcome, ToSender } from './sender-protocol.js';

export function runInThread(port: MessagePort, data: SenderWorkerData): void {
  const sender = new HttpSender(data);
  // setImmediate, not nextTick: let every response that arrived in this turn join the batch.
  const outcomes = new TickBatch<SequencedOutcome>((batch: FromSender) => port.postMessage(batch), setImmediate);
  port.on('message', (message: ToSender) => {
    if (message.type === 'send') {
      for (const { seq, attempt } of message.attempts) void sender.send(attempt).then((outcome) => outcomes.add({ seq, outcome }));
    } else {
      void sender.close().then(() => port.close());
    }
  });
}
