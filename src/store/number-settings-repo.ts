/** SQL for per-number settings: whether SMS is switched on (Voximplant ControlSms). */
import type { Statement } from 'better-sqlite3';
import type { Db } from './sqlite/db.js';

export class NumberSettingsRepo {
  private readonly upsertStmt: Statement;
  private readonly disabledStmt: Statement;

  constructor(db: Db) {
    this.upsertStmt = db.prepare(`
      INSERT INTO number_settings (number, sms_enabled, updated_by, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (number) DO UPDATE SET
        sms_enabled = excluded.sms_enabled, updated_by = excluded.updated_by, updated_at = excluded.updated_at`);
    this.disabledStmt = db.prepare('SELECT number FROM number_settings WHERE sms_enabled = 0');
  }

  setSmsEnabled(number: string, enabled: boolean, by: string, at: number): void {
    this.upsertStmt.run(number, enabled ? 1 : 0, by, at);
  }

  /** Numbers whose SMS is switched off (the rest are on). */
  listSmsDisabled(): string[] {
    return (this.disabledStmt.all() as Array<{ number: string }>).map((r) => r.number);
  }
}
