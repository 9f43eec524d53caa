/** SQL for quota usage: SMS parts charged to a user per period key. */
import type { SqlExecutor } from './sql.js';

export class QuotaRepo {
  constructor(private readonly sql: SqlExecutor) {}

  async used(user: string, period: string): Promise<number> {
    return (await this.sql.get<{ parts: number }>('SELECT parts FROM quota_usage WHERE "user" = ? AND period = ?', [user, period]))?.parts ?? 0;
  }

  async add(user: string, period: string, parts: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO quota_usage ("user", period, parts) VALUES (?, ?, ?)
       ON CONFLICT ("user", period) DO UPDATE SET parts = quota_usage.parts + excluded.parts`,
      [user, period, parts],
    );
  }
}
