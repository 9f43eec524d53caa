/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs
 * inside whichever commit crosses the threshold — on our main thread — and
 * copying thousands of pages into the database file stalls every request
 * waiting behind it. A worker thread with its own connection runs PASSIVE
 * checkpoints (they never block writers) every `intervalMs`; the main
 * connection keeps a large automatic threshold only as a safety net.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const checkpoint = (mode) => { try { db.pragma('wal_checkpoint(' + mode + ')'); } catch {} };
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint('PASSIVE'); db.close(); process.exit(0); });
`;

export class WalCheckpointer {
  private readonly worker: Worker;

  constructor(path: string, intervalMs = 500) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    // It allocates next to nothing: a small young generation keeps its heap at a few MB (issue 18).
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, module, intervalMs },
      resourceLimits: { maxYoungGenerationSizeMb: 1 },
    });
    this.worker.unref();
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('stop');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
  }
}
