/**
 * What the SMPP server keeps durably (store/smpp-server-repo.ts implements
 * it): the parts of long messages until their siblings arrive, and the
 * deliver_sm it owes its clients (receipts, inbound SMS) until a client
 * acknowledges them.
 */

/** One submit_sm of a long message (UDH or SAR), stored before its submit_sm_resp. */
export interface SubmitPart {
  systemId: string;
  sender: string;
  recipient: string;
  reference: number;
  total: number;
  seq: number;
  /** The message_id its submit_sm_resp carried: receipts for this part name it. */
  partId: string;
  dataCoding: number;
  payload: Buffer;
  registeredDelivery: number;
  receivedAt: number;
}

export interface SubmitPartStore {
  /** Insert, or replace a part the client sent again (its resp was lost). */
  /** Held until the transaction ends (PostgreSQL): parts of one message bound to two nodes join one after the other. */
  lockGroup(part: SubmitPart): Promise<void>;
  insertPart(part: SubmitPart): Promise<void>;
  /** The parts of the same message so far, in seq order. */
  siblings(part: SubmitPart): Promise<SubmitPart[]>;
  deleteSiblings(part: SubmitPart): Promise<void>;
  /** A part of some group that has waited since before `cutoff`, or null. */
  oldestStale(cutoff: number): Promise<SubmitPart | null>;
}

/** A deliver_sm owed to a client: its fields as node-smpp takes them (octet fields are Buffers). */
export interface NewDelivery {
  systemId: string;
  /** Deliveries with the same key go out in the order they were queued (one message's receipts). */
  orderKey: string;
  kind: 'receipt' | 'mo';
  fields: Record<string, string | number | Buffer>;
  createdAt: number;
}

export interface QueuedDelivery extends NewDelivery {
  id: number;
  attempts: number;
  nextAttemptAt: number;
}

export interface DeliveryQueueStore {
  enqueue(delivery: NewDelivery): Promise<void>;
  /** The oldest queued deliveries of a client, due or not, in queue order. */
  oldest(systemId: string, limit: number): Promise<QueuedDelivery[]>;
  delete(id: number): Promise<void>;
  postpone(id: number, attempts: number, nextAttemptAt: number): Promise<void>;
  /** Queued deliveries per client. */
  backlog(): Promise<Map<string, number>>;
}
