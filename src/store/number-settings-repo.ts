/** SQL for per-number settings: whether SMS is switched on (Voximplant ControlSms). */
import type { SqlExecutor } from './sql.js';

export class NumberSettingsRepo {
  constructor(private readonly sql: SqlExecutor) {}

  async setSmsEnabled(number: string, enabled: boolean, by: string, at: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO number_settings (number, sms_enabled, updated_by, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (number) DO UPDATE SET
         sms_enabled = excluded.sms_enabled, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      [number, enabled ? 1 : 0, by, at],
    );
  }

  /** Numbers whose SMS is switched off (the rest are on). */
  async listSmsDisabled(): Promise<string[]> {
    return (await this.sql.all<{ number: string }>('SELECT number FROM number_settings WHERE sms_enabled = 0')).map((r) => r.number);
  }
}
