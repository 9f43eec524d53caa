/**
 * The entry of MediaHost.prepare()'s short-lived worker: it loads the Node built-in modules the media worker imports
 * (media-worker.ts and what it imports) and nothing else, then ends with an empty event loop. What it leaves behind is
 * Node's process-wide code cache for those modules and a worker's bootstrap.
 */
import 'node:crypto';
import 'node:dgram';
import 'node:dns';
import 'node:fs/promises';
import 'node:net';
import 'node:os';
import 'node:perf_hooks';
import 'node:worker_threads';
