/**
 * A user's inbox for polling clients (Ozeki's ReceiveMessage): received SMS
 * addressed to a number the user owns that this user has not downloaded yet,
 * oldest first. Downloading marks them (`inbox_downloads`, per user, as a
 * number may change hands) instead of deleting them, so every dialect's
 * history and the console keep them; the mark goes when retention removes
 * the message (ON DELETE CASCADE).
 */
import { numberVariants } from './message-history-repo.js';
import type { SqlExecutor } from './sql.js';

export interface InboxEntry {
  id: string;
  /** The message's history number (message_seq). */
  seq: number;
  sender: string;
  recipient: string;
  text: string;
  receivedAt: number;
}

/** What happens to downloaded messages: gone from the inbox (`delete`, `mark`) or left to download again. */
export type AfterDownload = 'delete' | 'mark' | 'leave';

export class InboxRepo {
  constructor(private readonly sql: SqlExecutor) {}

  /** Up to `limit` messages not yet downloaded by `user`; run in one transaction so the mark commits with the read. */
  async download(user: string, ownNumbers: readonly string[], limit: number, after: AfterDownload, now: number): Promise<InboxEntry[]> {
    const own = [...new Set(ownNumbers.flatMap(numberVariants))];
    if (own.length === 0 || limit <= 0) return [];
    const rows = await this.sql.all<{ id: string; seq: number; sender: string; recipient: string; text: string; received_at: number }>(
      `SELECT i.id, s.seq, i.sender, i.recipient, i.text, i.received_at
         FROM inbound_messages i JOIN message_seq s ON s.direction = 'in' AND s.message_id = i.id
        WHERE i.recipient IN (${own.map(() => '?').join(', ')})
          AND NOT EXISTS (SELECT 1 FROM inbox_downloads d WHERE d."user" = ? AND d.message_id = i.id)
        ORDER BY s.seq LIMIT ?`,
      [...own, user, limit],
    );
    if (after !== 'leave') {
      const state = after === 'delete' ? 'deleted' : 'downloaded';
      for (const row of rows) {
        await this.sql.run('INSERT INTO inbox_downloads ("user", message_id, state, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
          user,
          row.id,
          state,
          now,
        ]);
      }
    }
    return rows.map((row) => ({ id: row.id, seq: row.seq, sender: row.sender, recipient: row.recipient, text: row.text, receivedAt: row.received_at }));
  }
}
