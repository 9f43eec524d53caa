/**
 * What a message accepted by the SMPP server remembers of its client, in the
 * message's `meta`: how many parts the client sent it in (their ids are the
 * message id with `.1`, `.2`… appended; one part: the message id itself),
 * which receipts it asked for (registered_delivery, SMPP 3.4 §5.2.17) and
 * the data_coding it came in, which a replace_sm's short_message is in too
 * (§4.10.1 has no data_coding of its own).
 */
import type { StoredMessage } from '../../sms/message.js';

export const SMPP_DIALECT = 'smpp';

export interface SmppMessageMeta {
  /** 0: one submit_sm; n: n parts, ids `<message id>.<seq>`. */
  parts: number;
  registeredDelivery: number;
  /** Absent in messages stored before replace_sm was taken: the SMSC default alphabet (0). */
  dataCoding?: number;
}

export function smppMeta(meta: SmppMessageMeta): Record<string, unknown> {
  return { smpp: meta };
}

export function readSmppMeta(message: Pick<StoredMessage, 'meta'>): SmppMessageMeta | null {
  const value = message.meta['smpp'] as Partial<SmppMessageMeta> | undefined;
  if (!value || typeof value !== 'object') return null;
  return { parts: Number(value.parts ?? 0), registeredDelivery: Number(value.registeredDelivery ?? 0), dataCoding: Number(value.dataCoding ?? 0) };
}

/** The message_id of each part the client sent, as its submit_sm_resp carried them. */
export function partIds(messageId: string, parts: number): string[] {
  if (parts <= 1) return parts === 1 ? [`${messageId}.1`] : [messageId];
  return Array.from({ length: parts }, (_, i) => `${messageId}.${i + 1}`);
}

/** The message a client's message_id names (a part id names its message). */
export function messageIdOf(clientMessageId: string): string {
  const dot = clientMessageId.lastIndexOf('.');
  return dot > 0 ? clientMessageId.slice(0, dot) : clientMessageId;
}
