/**
 * The SMPP server's durable state: parts of long submits waiting for their
 * siblings, and the deliver_sm owed to clients (src/sms/smpp-server/ports.ts).
 */
import type { SqlExecutor } from './sql.js';
import type { DeliveryQueueStore, NewDelivery, QueuedDelivery, SubmitPart, SubmitPartStore } from '../sms/smpp-server/ports.js';

type PartRow = {
  system_id: string;
  sender: string;
  recipient: string;
  reference: number;
  total: number;
  seq: number;
  part_id: string;
  data_coding: number;
  payload: Buffer;
  registered_delivery: number;
  received_at: number;
};

type DeliveryRow = {
  id: number;
  system_id: string;
  order_key: string;
  kind: string;
  fields: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
};

const GROUP = 'system_id = ? AND sender = ? AND recipient = ? AND reference = ? AND total = ?';

export class SmppServerRepo implements SubmitPartStore, DeliveryQueueStore {
  constructor(private readonly sql: SqlExecutor) {}

  async lockGroup(p: SubmitPart): Promise<void> {
    if (this.sql.dialect !== 'postgres') return; // one SQLite writer: transactions never overlap
    await this.sql.get('SELECT pg_advisory_xact_lock(hashtext(?)) AS locked', [
      `smpp|${JSON.stringify([p.systemId, p.sender, p.recipient, p.reference, p.total])}`,
    ]);
  }

  /** A part sent again (our submit_sm_resp was lost) replaces its twin. */
  async insertPart(p: SubmitPart): Promise<void> {
    await this.sql.run(
      `INSERT INTO smpp_submit_parts (system_id, sender, recipient, reference, total, seq, part_id, data_coding, payload, registered_delivery, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (system_id, sender, recipient, reference, total, seq) DO UPDATE SET part_id = excluded.part_id,
         data_coding = excluded.data_coding, payload = excluded.payload, registered_delivery = excluded.registered_delivery,
         received_at = excluded.received_at`,
      [p.systemId, p.sender, p.recipient, p.reference, p.total, p.seq, p.partId, p.dataCoding, p.payload, p.registeredDelivery, p.receivedAt],
    );
  }

  async siblings(p: SubmitPart): Promise<SubmitPart[]> {
    const rows = await this.sql.all<PartRow>(`SELECT * FROM smpp_submit_parts WHERE ${GROUP} ORDER BY seq`, [
      p.systemId,
      p.sender,
      p.recipient,
      p.reference,
      p.total,
    ]);
    return rows.map(toPart);
  }

  async deleteSiblings(p: SubmitPart): Promise<void> {
    await this.sql.run(`DELETE FROM smpp_submit_parts WHERE ${GROUP}`, [p.systemId, p.sender, p.recipient, p.reference, p.total]);
  }

  async oldestStale(cutoff: number): Promise<SubmitPart | null> {
    const row = await this.sql.get<PartRow>('SELECT * FROM smpp_submit_parts WHERE received_at < ? ORDER BY received_at LIMIT 1', [cutoff]);
    return row ? toPart(row) : null;
  }

  async enqueue(d: NewDelivery): Promise<void> {
    await this.sql.run('INSERT INTO smpp_deliveries (system_id, order_key, kind, fields, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)', [
      d.systemId,
      d.orderKey,
      d.kind,
      encodeFields(d.fields),
      d.createdAt,
      d.createdAt,
    ]);
  }

  async oldest(systemId: string, limit: number): Promise<QueuedDelivery[]> {
    const rows = await this.sql.all<DeliveryRow>('SELECT * FROM smpp_deliveries WHERE system_id = ? ORDER BY id LIMIT ?', [systemId, limit]);
    return rows.map((row) => ({
      id: row.id,
      systemId: row.system_id,
      orderKey: row.order_key,
      kind: row.kind === 'mo' ? 'mo' : 'receipt',
      fields: decodeFields(row.fields),
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      createdAt: row.created_at,
    }));
  }

  async delete(id: number): Promise<void> {
    await this.sql.run('DELETE FROM smpp_deliveries WHERE id = ?', [id]);
  }

  async postpone(id: number, attempts: number, nextAttemptAt: number): Promise<void> {
    await this.sql.run('UPDATE smpp_deliveries SET attempts = ?, next_attempt_at = ? WHERE id = ?', [attempts, nextAttemptAt, id]);
  }

  async backlog(): Promise<Map<string, number>> {
    const rows = await this.sql.all<{ system_id: string; n: number }>('SELECT system_id, COUNT(*) AS n FROM smpp_deliveries GROUP BY system_id');
    return new Map(rows.map((r) => [r.system_id, r.n]));
  }
}

function toPart(row: PartRow): SubmitPart {
  return {
    systemId: row.system_id,
    sender: row.sender,
    recipient: row.recipient,
    reference: row.reference,
    total: row.total,
    seq: row.seq,
    partId: row.part_id,
    dataCoding: row.data_coding,
    payload: row.payload,
    registeredDelivery: row.registered_delivery,
    receivedAt: row.received_at,
  };
}

/** Octet fields (short_message, message_payload) as {"$hex": …}, the rest as they are. */
function encodeFields(fields: NewDelivery['fields']): string {
  return JSON.stringify(fields, (_key, value: unknown) =>
    value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer'
      ? { $hex: Buffer.from((value as { data: number[] }).data).toString('hex') }
      : value,
  );
}

function decodeFields(json: string): NewDelivery['fields'] {
  return JSON.parse(json, (_key, value: unknown) =>
    value && typeof value === 'object' && typeof (value as { $hex?: unknown }).$hex === 'string' ? Buffer.from((value as { $hex: string }).$hex, 'hex') : value,
  ) as NewDelivery['fields'];
}
