/** Dead letters: callbacks that were still failing at `maxAgeHours`. The CLI lists and replays them. */
import type { Db } from '../store/sqlite/db.js';
import { toWebhookRow, type WebhookRow } from './webhook-store.js';

export function listDeadLetters(db: Db, options: { limit: number }): Array<Omit<WebhookRow, 'body' | 'headers'>> {
  const rows = db.prepare("SELECT * FROM webhooks WHERE state = 'dead' ORDER BY id LIMIT ?").all(options.limit) as Parameters<typeof toWebhookRow>[0][];
  return rows.map((r) => {
    const { body: _body, headers: _headers, ...rest } = toWebhookRow(r);
    return rest;
  });
}

/**
 * Queue dead letters again (attempts kept, age restarted so they get a full
 * retry period). A running daemon picks them up on its next sweep.
 */
export function replayDeadLetters(db: Db, options: { ids?: number[]; all?: boolean }, now = Date.now()): number {
  if (options.all) {
    return db.prepare("UPDATE webhooks SET state = 'pending', next_attempt_at = ?, created_at = ? WHERE state = 'dead'").run(now, now).changes;
  }
  const stmt = db.prepare("UPDATE webhooks SET state = 'pending', next_attempt_at = ?, created_at = ? WHERE state = 'dead' AND id = ?");
  let changed = 0;
  db.transaction(() => {
    for (const id of options.ids ?? []) changed += stmt.run(now, now, id).changes;
  })();
  return changed;
}
