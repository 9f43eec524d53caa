/** SQL for quota usage: SMS parts charged to a user per period key. */
import type { Statement } from 'better-sqlite3';
import type { Db } from './sqlite/db.js';

export class QuotaRepo {
  private readonly usedStmt: Statement;
  private readonly addStmt: Statement;

  constructor(db: Db) {
    this.usedStmt = db.prepare('SELECT parts FROM quota_usage WHERE user = ? AND period = ?');
    this.addStmt = db.prepare(`
      INSERT INTO quota_usage (user, period, parts) VALUES (?, ?, ?)
      ON CONFLICT (user, period) DO UPDATE SET parts = parts + excluded.parts`);
  }

  used(user: string, period: string): number {
    return (this.usedStmt.get(user, period) as { parts: number } | undefined)?.parts ?? 0;
  }

  add(user: string, period: string, parts: number): void {
    this.addStmt.run(user, period, parts);
  }
}
