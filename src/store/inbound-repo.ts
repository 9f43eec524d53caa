/** SQL for inbound (MO) messages and the fragments of concatenated ones. */
import type { Statement } from 'better-sqlite3';
import type { Db } from './sqlite/db.js';

export interface InboundMessage {
  id: string;
  connectorId: string;
  sender: string;
  recipient: string;
  text: string;
  partsTotal: number;
  /** False when reassembly timed out and some parts never came. */
  complete: boolean;
  receivedAt: number;
}

export interface StoredFragment {
  connectorId: string;
  sender: string;
  recipient: string;
  reference: number;
  total: number;
  seq: number;
  dataCoding: number;
  payload: Buffer;
  receivedAt: number;
}

interface FragmentRow {
  connector_id: string;
  sender: string;
  recipient: string;
  reference: number;
  total: number;
  seq: number;
  data_coding: number;
  payload: Buffer;
  received_at: number;
}

function toFragment(row: FragmentRow): StoredFragment {
  return {
    connectorId: row.connector_id,
    sender: row.sender,
    recipient: row.recipient,
    reference: row.reference,
    total: row.total,
    seq: row.seq,
    dataCoding: row.data_coding,
    payload: row.payload,
    receivedAt: row.received_at,
  };
}

const KEY = 'connector_id = @connectorId AND sender = @sender AND recipient = @recipient AND reference = @reference AND total = @total';

export class InboundRepo {
  private readonly insertMessageStmt: Statement;
  private readonly insertFragmentStmt: Statement;
  private readonly siblingsStmt: Statement;
  private readonly deleteSiblingsStmt: Statement;
  private readonly oldestStaleStmt: Statement;
  private readonly getStmt: Statement;
  private readonly rememberCompletedStmt: Statement;
  private readonly completedSinceStmt: Statement;
  private readonly forgetCompletedStmt: Statement;

  constructor(db: Db) {
    this.insertMessageStmt = db.prepare(`
      INSERT INTO inbound_messages (id, connector_id, sender, recipient, text, parts_total, complete, received_at)
      VALUES (@id, @connectorId, @sender, @recipient, @text, @partsTotal, @complete, @receivedAt)`);
    // A repeated part (the SMSC redelivers when our ack was lost) replaces its twin.
    this.insertFragmentStmt = db.prepare(`
      INSERT OR REPLACE INTO inbound_fragments (connector_id, sender, recipient, reference, total, seq, data_coding, payload, received_at)
      VALUES (@connectorId, @sender, @recipient, @reference, @total, @seq, @dataCoding, @payload, @receivedAt)`);
    this.siblingsStmt = db.prepare(`SELECT * FROM inbound_fragments WHERE ${KEY} ORDER BY seq`);
    this.deleteSiblingsStmt = db.prepare(`DELETE FROM inbound_fragments WHERE ${KEY}`);
    this.oldestStaleStmt = db.prepare('SELECT * FROM inbound_fragments WHERE received_at < ? ORDER BY received_at LIMIT 1');
    this.getStmt = db.prepare('SELECT * FROM inbound_messages WHERE id = ?');
    this.rememberCompletedStmt = db.prepare(`
      INSERT OR REPLACE INTO inbound_completed_groups (connector_id, sender, recipient, reference, total, completed_at)
      VALUES (@connectorId, @sender, @recipient, @reference, @total, @completedAt)`);
    this.completedSinceStmt = db.prepare(`SELECT 1 FROM inbound_completed_groups WHERE ${KEY} AND completed_at >= @since`);
    this.forgetCompletedStmt = db.prepare('DELETE FROM inbound_completed_groups WHERE completed_at < ?');
  }

  /** Remember that this group was delivered (whole, or incomplete after the timeout). */
  rememberCompleted(key: GroupKey, completedAt: number): void {
    this.rememberCompletedStmt.run({ ...pickKey(key), completedAt });
  }

  /** Was this group delivered at or after `since`? */
  completedSince(key: GroupKey, since: number): boolean {
    return this.completedSinceStmt.get({ ...pickKey(key), since }) !== undefined;
  }

  forgetCompletedBefore(cutoff: number): number {
    return this.forgetCompletedStmt.run(cutoff).changes;
  }

  insertMessage(message: InboundMessage): void {
    this.insertMessageStmt.run({ ...message, complete: message.complete ? 1 : 0 });
  }

  get(id: string): InboundMessage | undefined {
    const row = this.getStmt.get(id) as
      | { id: string; connector_id: string; sender: string; recipient: string; text: string; parts_total: number; complete: number; received_at: number }
      | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      connectorId: row.connector_id,
      sender: row.sender,
      recipient: row.recipient,
      text: row.text,
      partsTotal: row.parts_total,
      complete: row.complete === 1,
      receivedAt: row.received_at,
    };
  }

  insertFragment(fragment: StoredFragment): void {
    this.insertFragmentStmt.run(fragment);
  }

  siblings(key: Omit<StoredFragment, 'seq' | 'dataCoding' | 'payload' | 'receivedAt'>): StoredFragment[] {
    return (this.siblingsStmt.all(pickKey(key)) as FragmentRow[]).map(toFragment);
  }

  deleteSiblings(key: Omit<StoredFragment, 'seq' | 'dataCoding' | 'payload' | 'receivedAt'>): void {
    this.deleteSiblingsStmt.run(pickKey(key));
  }

  /** One fragment older than `cutoff`, whose group has waited too long. */
  oldestStale(cutoff: number): StoredFragment | undefined {
    const row = this.oldestStaleStmt.get(cutoff) as FragmentRow | undefined;
    return row ? toFragment(row) : undefined;
  }
}

type GroupKey = Omit<StoredFragment, 'seq' | 'dataCoding' | 'payload' | 'receivedAt'>;

function pickKey(key: GroupKey) {
  return { connectorId: key.connectorId, sender: key.sender, recipient: key.recipient, reference: key.reference, total: key.total };
}
