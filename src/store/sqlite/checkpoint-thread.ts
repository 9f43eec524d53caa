/**
 * WalCheckpointer's task on the shared background thread: its own connection
 * runs a PASSIVE checkpoint every `intervalMs` (it never blocks writers), and
 * a last one when told to stop.
 */
import type { MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface CheckpointTaskData {
  path: string;
  intervalMs: number;
}

export function runInThread(port: MessagePort, { path, intervalMs }: CheckpointTaskData): void {
  const db = new Database(path);
  db.pragma('busy_timeout = 1000');
  const checkpoint = () => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy or locked: the next interval tries again, and the main connection's autocheckpoint is the safety net.
    }
  };
  const timer = setInterval(checkpoint, intervalMs);
  port.on('message', () => {
    clearInterval(timer);
    checkpoint();
    db.close();
    port.close();
  });
}
