/**
 * Pruning what is old and finished (issue 22): the store must not grow forever. Each call deletes at most
 * `limit` rows of one kind, oldest first, so a prune never holds a transaction (or a PostgreSQL lock) long;
 * the caller loops in separate commits. Only finished work goes: an unfinished message, a pending callback or
 * e-mail stays whatever its age.
 */
import type { SqlExecutor } from './sql.js';

const FINAL = "('delivered', 'failed', 'expired', 'unknown')";

export class RetentionRepo {
  constructor(private readonly sql: SqlExecutor) {}

  /** Final messages accepted before `before`, with their parts and history numbers. */
  async pruneMessages(before: number, limit: number): Promise<number> {
    const ids = (
      await this.sql.all<{ id: string }>(`SELECT id FROM messages WHERE created_at < ? AND status IN ${FINAL} ORDER BY created_at LIMIT ?`, [before, limit])
    ).map((r) => r.id);
    if (ids.length === 0) return 0;
    const list = ids.map(() => '?').join(', ');
    await this.sql.run(`DELETE FROM message_parts WHERE message_id IN (${list})`, ids);
    await this.sql.run(`DELETE FROM message_seq WHERE direction = 'out' AND message_id IN (${list})`, ids);
    return (await this.sql.run(`DELETE FROM messages WHERE id IN (${list})`, ids)).changes;
  }

  /** Inbound messages received before `before`, with their history numbers. */
  async pruneInbound(before: number, limit: number): Promise<number> {
    const ids = (await this.sql.all<{ id: string }>('SELECT id FROM inbound_messages WHERE received_at < ? ORDER BY received_at LIMIT ?', [before, limit])).map(
      (r) => r.id,
    );
    if (ids.length === 0) return 0;
    const list = ids.map(() => '?').join(', ');
    await this.sql.run(`DELETE FROM message_seq WHERE direction = 'in' AND message_id IN (${list})`, ids);
    return (await this.sql.run(`DELETE FROM inbound_messages WHERE id IN (${list})`, ids)).changes;
  }

  /** Callbacks in `state` (delivered, or dead letters) stored before `before`. */
  async pruneCallbacks(state: 'delivered' | 'dead', before: number, limit: number): Promise<number> {
    // The state written out, not bound: only then may SQLite use the partial index on dead letters (webhooks_dead);
    // delivered rows are found in id order, oldest first.
    const inState = state === 'dead' ? "state = 'dead'" : "state = 'delivered'";
    return (
      await this.sql.run(`DELETE FROM webhooks WHERE id IN (SELECT id FROM webhooks WHERE ${inState} AND created_at < ? ORDER BY id LIMIT ?)`, [before, limit])
    ).changes;
  }

  /** Sent or given-up e-mails stored before `before`. */
  async pruneEmails(before: number, limit: number): Promise<number> {
    return (
      await this.sql.run("DELETE FROM emails WHERE id IN (SELECT id FROM emails WHERE state <> 'pending' AND created_at < ? ORDER BY id LIMIT ?)", [
        before,
        limit,
      ])
    ).changes;
  }

  /** Finished calls that started before `before`. */
  async pruneCalls(before: number, limit: number): Promise<number> {
    return (
      await this.sql.run('DELETE FROM call_history WHERE call_id IN (SELECT call_id FROM call_history WHERE start_time < ? ORDER BY start_time LIMIT ?)', [
        before,
        limit,
      ])
    ).changes;
  }
}
