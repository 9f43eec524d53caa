/**
 * Entry of the media worker thread (started by MediaHost): RTP ports,
 * sockets, the clock and playout live here, away from the main thread's SIP
 * parsing, SQLite commits, HTTP and garbage, so a frame's send time depends
 * on this thread alone. See docs/decisions/0097-media-worker.md.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setThreadNice } from '../../shared/thread-priority.js';
import type { HostMessage, MediaWorkerConfig, WorkerMessage } from './media-protocol.js';
import { MediaThread } from './media-thread.js';

if (!parentPort) throw new Error('media-worker.ts runs as a worker thread (MediaHost starts it)');
const port = parentPort;
const config = workerData as MediaWorkerConfig;
// Before any socket exists: on a busy machine the thread's place in the CPU queue is most of the pacing error.
const priority = setThreadNice(config.nice);
const thread = new MediaThread(config, (message, transfer) => port.postMessage(message, transfer));
port.on('message', (message: HostMessage) => thread.handle(message));
port.postMessage({ ev: 'ready', nice: priority.nice, niceError: priority.error } satisfies WorkerMessage);
