/**
 * Callbacks this process stored on SQLite, held until the dispatcher reads them back (webhook-repo.ts).
 *
 * The dispatcher learns of new callbacks by reading the pending rows above the last id it has seen, after each
 * commit. Read whole, those rows were the most expensive statement a message caused flat out with receipts: about
 * 250 µs for a commit's 26 rows, a tenth of the SQL a message costs and strings the collector then freed
 * (bench/RESULTS.md, "Issue 18, session 31"). The rows this process inserted are known to it already, so the read
 * asks only for their ids and the two columns that tell a row apart, and takes each row from here.
 *
 * A row is taken from here only when its order key and creation time match the stored row's: an insert rolled back
 * leaves its entry behind, and SQLite may give its id (AUTOINCREMENT's counter rolls back too) to the next insert —
 * whose entry replaces it when this process made it, and whose columns differ when another did. Anything not found
 * here is read whole, as before (decision 0131).
 */
import type { WebhookRow } from '../webhooks/webhook.js';

/**
 * Rows held at most: the dispatcher reads after every commit and sweeps every few seconds, so a few commits' worth is
 * all there ever is; should no read come (a dispatcher stopped while inserts go on), the rows are let go and read
 * whole later, not kept.
 */
const MAX_HELD = 20_000;

export class InsertedCallbacks {
  private readonly rows = new Map<number, WebhookRow>();

  put(row: WebhookRow): void {
    if (this.rows.size >= MAX_HELD) this.rows.clear();
    this.rows.set(row.id, row);
  }

  /** The row this process inserted under `id`, if the stored one is that row; forgotten once taken. */
  take(id: number, orderKey: string, createdAt: number): WebhookRow | undefined {
    const row = this.rows.get(id);
    if (row === undefined) return undefined;
    this.rows.delete(id);
    return row.orderKey === orderKey && row.createdAt === createdAt ? row : undefined;
  }

  /**
   * The dispatcher has read every pending row up to `id`: entries at or below it were rolled back or are no longer
   * pending (one transaction at a time commits on SQLite, in id order), and are dropped.
   */
  readUpTo(id: number): void {
    if (this.rows.size === 0) return;
    for (const held of this.rows.keys()) if (held <= id) this.rows.delete(held);
  }
}
