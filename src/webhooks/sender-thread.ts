/**
 * Worker-thread entry of ThreadSender: an HttpSender that takes attempts in
 * batches and posts their outcomes back in batches (one message per tick
 * each way, not one per callback).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HttpSender, type CallbackOutcome } from './http-sender.js';
import type { FromSender, SenderWorkerData, ToSender } from './sender-protocol.js';

const port = parentPort!;
const sender = new HttpSender(workerData as SenderWorkerData);
let done: Array<{ seq: number; outcome: CallbackOutcome }> = [];
let flushScheduled = false;

function post(message: FromSender): void {
  port.postMessage(message);
}

function finished(seq: number, outcome: CallbackOutcome): void {
  done.push({ seq, outcome });
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    const outcomes = done;
    done = [];
    post({ type: 'outcomes', outcomes });
  });
}

port.on('message', (message: ToSender) => {
  if (message.type === 'send') {
    for (const { seq, attempt } of message.attempts) void sender.send(attempt).then((outcome) => finished(seq, outcome));
  } else {
    void sender.close().then(() => {
      post({ type: 'stopped' });
      port.close();
    });
  }
});
