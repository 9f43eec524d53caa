/** SQL for inbound (MO) messages and the fragments of concatenated ones. */
import type { SqlExecutor } from './sql.js';

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
  constructor(private readonly sql: SqlExecutor) {}

  /**
   * Hold the group's lock until the transaction ends (PostgreSQL): two parts of one message arriving on two
   * nodes at once are stored one after the other, so the second sees the first and completes the message.
   */
  async lockGroup(key: GroupKey): Promise<void> {
    if (this.sql.dialect !== 'postgres') return; // one SQLite writer: transactions never overlap
    await this.sql.get('SELECT pg_advisory_xact_lock(hashtext(?)) AS locked', [`inbound|${JSON.stringify(pickKey(key))}`]);
  }

  /** Remember that this group was delivered (whole, or incomplete after the timeout). */
  async rememberCompleted(key: GroupKey, completedAt: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO inbound_completed_groups (connector_id, sender, recipient, reference, total, completed_at)
       VALUES (@connectorId, @sender, @recipient, @reference, @total, @completedAt)
       ON CONFLICT (connector_id, sender, recipient, reference, total) DO UPDATE SET completed_at = excluded.completed_at`,
      { ...pickKey(key), completedAt },
    );
  }

  /** Was this group delivered at or after `since`? */
  async completedSince(key: GroupKey, since: number): Promise<boolean> {
    return (
      (await this.sql.get(`SELECT 1 AS hit FROM inbound_completed_groups WHERE ${KEY} AND completed_at >= @since`, { ...pickKey(key), since })) !== undefined
    );
  }

  async forgetCompletedBefore(cutoff: number): Promise<number> {
    return (await this.sql.run('DELETE FROM inbound_completed_groups WHERE completed_at < ?', [cutoff])).changes;
  }

  async insertMessage(message: InboundMessage): Promise<void> {
    await this.sql.run(
      `INSERT INTO inbound_messages (id, connector_id, sender, recipient, text, parts_total, complete, received_at)
       VALUES (@id, @connectorId, @sender, @recipient, @text, @partsTotal, @complete, @receivedAt)`,
      { ...message, complete: message.complete ? 1 : 0 },
    );
  }

  async get(id: string): Promise<InboundMessage | undefined> {
    const row = await this.sql.get<{
      id: string;
      connector_id: string;
      sender: string;
      recipient: string;
      text: string;
      parts_total: number;
      complete: number;
      received_at: number;
    }>('SELECT * FROM inbound_messages WHERE id = ?', [id]);
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

  /** The oldest complete message from one of `senders` (to one of `recipients`, when given) received at or after `since`. */
  async firstFrom(senders: readonly string[], recipients: readonly string[] | null, since: number): Promise<InboundMessage | undefined> {
    if (senders.length === 0) return undefined;
    const args: unknown[] = [...senders];
    let where = `sender IN (${senders.map(() => '?').join(', ')})`;
    if (recipients && recipients.length > 0) {
      where += ` AND recipient IN (${recipients.map(() => '?').join(', ')})`;
      args.push(...recipients);
    }
    args.push(since);
    const row = await this.sql.get<{ id: string }>(
      `SELECT id FROM inbound_messages WHERE ${where} AND received_at >= ? AND complete = 1 ORDER BY received_at, id LIMIT 1`,
      args,
    );
    return row ? this.get(row.id) : undefined;
  }

  /** A repeated part (the SMSC redelivers when our ack was lost) replaces its twin. */
  async insertFragment(fragment: StoredFragment): Promise<void> {
    await this.sql.run(
      `INSERT INTO inbound_fragments (connector_id, sender, recipient, reference, total, seq, data_coding, payload, received_at)
       VALUES (@connectorId, @sender, @recipient, @reference, @total, @seq, @dataCoding, @payload, @receivedAt)
       ON CONFLICT (connector_id, sender, recipient, reference, total, seq) DO UPDATE SET
         data_coding = excluded.data_coding, payload = excluded.payload, received_at = excluded.received_at`,
      fragment,
    );
  }

  async siblings(key: GroupKey): Promise<StoredFragment[]> {
    return (await this.sql.all<FragmentRow>(`SELECT * FROM inbound_fragments WHERE ${KEY} ORDER BY seq`, pickKey(key))).map(toFragment);
  }

  async deleteSiblings(key: GroupKey): Promise<void> {
    await this.sql.run(`DELETE FROM inbound_fragments WHERE ${KEY}`, pickKey(key));
  }

  /** One fragment older than `cutoff`, whose group has waited too long. */
  async oldestStale(cutoff: number): Promise<StoredFragment | undefined> {
    const row = await this.sql.get<FragmentRow>('SELECT * FROM inbound_fragments WHERE received_at < ? ORDER BY received_at LIMIT 1', [cutoff]);
    return row ? toFragment(row) : undefined;
  }
}

type GroupKey = Omit<StoredFragment, 'seq' | 'dataCoding' | 'payload' | 'receivedAt'>;

function pickKey(key: GroupKey) {
  return { connectorId: key.connectorId, sender: key.sender, recipient: key.recipient, reference: key.reference, total: key.total };
}
