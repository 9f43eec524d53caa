/**
 * The SMPP server's durable state: parts of long submits waiting for their
 * siblings, and the deliver_sm owed to clients (src/sms/smpp-server/ports.ts).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './sqlite/db.js';
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
  private readonly insertPartStmt: Statement;
  private readonly siblingsStmt: Statement;
  private readonly deleteSiblingsStmt: Statement;
  private readonly oldestStaleStmt: Statement;
  private readonly enqueueStmt: Statement;
  private readonly oldestStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly postponeStmt: Statement;
  private readonly backlogStmt: Statement;

  constructor(db: Db) {
    this.insertPartStmt = db.prepare(
      `INSERT OR REPLACE INTO smpp_submit_parts (system_id, sender, recipient, reference, total, seq, part_id, data_coding, payload, registered_delivery, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.siblingsStmt = db.prepare(`SELECT * FROM smpp_submit_parts WHERE ${GROUP} ORDER BY seq`);
    this.deleteSiblingsStmt = db.prepare(`DELETE FROM smpp_submit_parts WHERE ${GROUP}`);
    this.oldestStaleStmt = db.prepare('SELECT * FROM smpp_submit_parts WHERE received_at < ? ORDER BY received_at LIMIT 1');
    this.enqueueStmt = db.prepare(
      'INSERT INTO smpp_deliveries (system_id, order_key, kind, fields, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)',
    );
    this.oldestStmt = db.prepare('SELECT * FROM smpp_deliveries WHERE system_id = ? ORDER BY id LIMIT ?');
    this.deleteStmt = db.prepare('DELETE FROM smpp_deliveries WHERE id = ?');
    this.postponeStmt = db.prepare('UPDATE smpp_deliveries SET attempts = ?, next_attempt_at = ? WHERE id = ?');
    this.backlogStmt = db.prepare('SELECT system_id, COUNT(*) AS n FROM smpp_deliveries GROUP BY system_id');
  }

  insertPart(p: SubmitPart): void {
    this.insertPartStmt.run(
      p.systemId,
      p.sender,
      p.recipient,
      p.reference,
      p.total,
      p.seq,
      p.partId,
      p.dataCoding,
      p.payload,
      p.registeredDelivery,
      p.receivedAt,
    );
  }

  siblings(p: SubmitPart): SubmitPart[] {
    return (this.siblingsStmt.all(p.systemId, p.sender, p.recipient, p.reference, p.total) as PartRow[]).map(toPart);
  }

  deleteSiblings(p: SubmitPart): void {
    this.deleteSiblingsStmt.run(p.systemId, p.sender, p.recipient, p.reference, p.total);
  }

  oldestStale(cutoff: number): SubmitPart | null {
    const row = this.oldestStaleStmt.get(cutoff) as PartRow | undefined;
    return row ? toPart(row) : null;
  }

  enqueue(d: NewDelivery): void {
    this.enqueueStmt.run(d.systemId, d.orderKey, d.kind, encodeFields(d.fields), d.createdAt, d.createdAt);
  }

  oldest(systemId: string, limit: number): QueuedDelivery[] {
    return (this.oldestStmt.all(systemId, limit) as DeliveryRow[]).map((row) => ({
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

  delete(id: number): void {
    this.deleteStmt.run(id);
  }

  postpone(id: number, attempts: number, nextAttemptAt: number): void {
    this.postponeStmt.run(attempts, nextAttemptAt, id);
  }

  backlog(): Map<string, number> {
    return new Map((this.backlogStmt.all() as Array<{ system_id: string; n: number }>).map((r) => [r.system_id, r.n]));
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
