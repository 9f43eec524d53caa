/**
 * Messages from the SMPP server's clients into the outbox. A single
 * submit_sm is accepted as it is. The parts of a long message (UDH or SAR)
 * are stored as they come, each answered with its own message_id once
 * stored; the part that completes the group joins them and accepts the
 * message in the same transaction, so the outbox plans it once for the
 * outgoing route (never passed on as the client's parts). The message id is
 * chosen when the first part arrives, and each part's id is it with `.seq`
 * appended, so receipts and query_sm find the message from any part.
 * Groups that stay incomplete past the reassembly timeout fail, and each part
 * that came gets its failure receipt.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { Committer } from '../../store/sql.js';
import type { StoredMessage } from '../../sms/message.js';
import { newId } from '../../shared/ids.js';
import { decodeShortMessage } from '../encoding/index.js';
import type { AcceptRequest, Outbox } from '../outbox.js';
import type { DeliveryQueueStore, SubmitPart, SubmitPartStore } from './ports.js';
import { SMPP_DIALECT, messageIdOf, smppMeta } from './message-meta.js';
import { ReceiptState, receiptDelivery } from './receipts.js';
import type { SubmitRead } from './submit-read.js';

export interface SmppIntakeDeps {
  outbox: Pick<Outbox, 'accept' | 'prepare' | 'store' | 'accepted'>;
  parts: SubmitPartStore;
  queue: Pick<DeliveryQueueStore, 'enqueue'>;
  committer: Pick<Committer, 'run'>;
  log: Logger;
  reassemblyTimeoutMs: number;
  /** sms.maxParts: a long message announced with more parts is refused at its first part, before anything is stored. */
  maxParts: number;
  afterCommit?: () => void;
  now?: () => number;
}

export class SmppIntake {
  private readonly now: () => number;

  constructor(private readonly deps: SmppIntakeDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Store what the client sent; resolves with the message_id for its resp, after the commit. Throws the outbox's AppErrors. */
  async submit(systemId: string, read: SubmitRead): Promise<string> {
    const request: AcceptRequest = {
      user: systemId,
      dialect: SMPP_DIALECT,
      sender: read.sender,
      recipient: read.recipient,
      text: read.text,
      expiresAt: read.expiresAt,
      // §5.2.15: the time to deliver at; one already come (some clients fill in the current time) is at once.
      sendAt: read.sendAt,
      meta: smppMeta({ parts: 0, registeredDelivery: read.registeredDelivery, dataCoding: read.dataCoding }),
    };
    if (!read.concat) return (await this.deps.outbox.accept(request)).id;
    const concat = read.concat;
    if (concat.total > this.deps.maxParts) {
      throw new AppError(ErrorCode.MESSAGE_TOO_LONG, `message announced in ${concat.total} parts; at most ${this.deps.maxParts} are allowed`, {
        details: { field: 'text', parts: concat.total, maxParts: this.deps.maxParts },
      });
    }
    // Everything but the joined text's length is checked on the part alone, before it is stored.
    this.deps.outbox.prepare(request);
    const part: SubmitPart = {
      systemId,
      sender: read.sender,
      recipient: read.recipient,
      reference: concat.reference,
      total: concat.total,
      seq: concat.seq,
      partId: '',
      dataCoding: read.dataCoding,
      payload: read.body,
      registeredDelivery: read.registeredDelivery,
      receivedAt: this.now(),
    };
    const { partId, message } = await this.deps.committer.run(() => this.storePart(part, request));
    if (message) this.deps.outbox.accepted(message);
    return partId;
  }

  private async storePart(part: SubmitPart, request: AcceptRequest): Promise<{ partId: string; message: StoredMessage | null }> {
    await this.deps.parts.lockGroup(part);
    const earlier = await this.deps.parts.siblings(part);
    const messageId = earlier.length > 0 ? messageIdOf(earlier[0]!.partId) : newId();
    const partId = `${messageId}.${part.seq}`;
    await this.deps.parts.insertPart({ ...part, partId });
    const all = await this.deps.parts.siblings(part);
    if (all.length < part.total) return { partId, message: null };
    const message = this.deps.outbox.prepare({
      ...request,
      id: messageId,
      text: joinText(all),
      meta: smppMeta({ parts: part.total, registeredDelivery: all[0]!.registeredDelivery, dataCoding: all[0]!.dataCoding }),
    });
    await this.deps.outbox.store(message);
    await this.deps.parts.deleteSiblings(part);
    return { partId, message };
  }

  /** Fail the groups whose missing parts did not come within the timeout; each part gets its receipt. */
  async sweep(): Promise<number> {
    const cutoff = this.now() - this.deps.reassemblyTimeoutMs;
    const given = await this.deps.committer.run(async () => {
      const groups: SubmitPart[][] = [];
      for (let stale = await this.deps.parts.oldestStale(cutoff); stale; stale = await this.deps.parts.oldestStale(cutoff)) {
        const parts = await this.deps.parts.siblings(stale);
        await this.deps.parts.deleteSiblings(stale);
        groups.push(parts);
        for (const p of parts) await this.failureReceipt(p, parts.length);
      }
      return groups;
    });
    for (const parts of given) {
      const first = parts[0]!;
      this.deps.log.warn(
        { code: ErrorCode.MESSAGE_INCOMPLETE, systemId: first.systemId, messageId: messageIdOf(first.partId), got: parts.length, total: first.total },
        'long message from an SMPP client incomplete after the reassembly timeout: failed',
      );
    }
    if (given.length > 0) this.deps.afterCommit?.();
    return given.length;
  }

  private async failureReceipt(part: SubmitPart, got: number): Promise<void> {
    // registered_delivery 01 (every final) and 10 (failures) both want this one.
    if ((part.registeredDelivery & 0x03) !== 0x01 && (part.registeredDelivery & 0x03) !== 0x02) return;
    await this.deps.queue.enqueue(
      receiptDelivery({
        systemId: part.systemId,
        id: part.partId,
        sender: part.sender,
        recipient: part.recipient,
        state: ReceiptState.REJECTD,
        submittedAt: part.receivedAt,
        doneAt: this.now(),
        err: '001',
        text: `incomplete: ${got} of ${part.total} parts`,
        orderKey: messageIdOf(part.partId),
      }),
    );
  }
}

/** Octets are joined before decoding, so a UCS-2 pair or a GSM escape split across parts stays whole. */
function joinText(parts: readonly SubmitPart[]): string {
  const first = parts[0]!;
  return parts.every((p) => p.dataCoding === first.dataCoding)
    ? decodeShortMessage(Buffer.concat(parts.map((p) => p.payload)), first.dataCoding)
    : parts.map((p) => decodeShortMessage(p.payload, p.dataCoding)).join('');
}
