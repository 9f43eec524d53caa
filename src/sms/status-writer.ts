/**
 * The one place a message's status changes. Part updates (submit results,
 * receipts) are merged forward-only, the parts roll up into the message
 * status, and when that is a real step forward the message row is updated and
 * the status notifier runs in the same transaction, so a callback is stored
 * atomically with the change that caused it.
 */
import type { MessageRepo } from '../store/message-repo.js';
import { normalizeCarrierId } from './carrier-id.js';
import { MessageStatus, canTransition, encodeEvents, isFinal, rollUp, type MessageEvent, type MessagePart, type StoredMessage } from './message.js';

/** What the status writer needs of the message store (the port; store/message-repo.ts implements it). */
export type MessageStatusStore = Pick<MessageRepo, 'getForUpdate' | 'parts' | 'savePart' | 'updatePartStatus' | 'update' | 'updateIfUnchanged'>;

/** Runs inside the status-changing transaction; dialects enqueue their callbacks here. */
export type StatusNotifier = (message: StoredMessage, previous: MessageStatus) => Promise<void>;

export interface PartUpdate {
  partNo: number;
  partsTotal: number;
  connectorId: string;
  status: MessageStatus;
  carrierId?: string;
  carrierStatus?: string | null;
  carrierError?: string | null;
  at: number;
}

/** A status write: the message as stored afterwards, and all its parts as they are stored now, by part number. */
export interface WrittenStatus {
  message: StoredMessage;
  parts: ReadonlyMap<number, MessagePart>;
}

export interface MessageOutcome {
  errorCode?: string | null;
  errorText?: string | null;
  /** A part may have been sent and is sent again: the message stays marked for good. */
  possibleDuplicate?: boolean;
}

export class StatusWriter {
  constructor(
    private readonly repo: MessageStatusStore,
    private readonly notify: StatusNotifier,
  ) {}

  /**
   * Merge part updates, roll up, and move the message forward if the parts say
   * so. Returns the message as stored afterwards (undefined if it is unknown).
   */
  async applyParts(...args: Parameters<StatusWriter['write']>): Promise<StoredMessage | undefined> {
    return (await this.write(...args))?.message;
  }

  /** `applyParts`, with the message's parts as written too. */
  async write(
    messageId: string,
    updates: readonly PartUpdate[],
    outcome: MessageOutcome = {},
    /** Every stored part of the message, when the caller already holds them (saves a read on the hot path). */
    storedParts?: readonly MessagePart[],
    /**
     * The message as the caller read it, with its version, at or before it read `storedParts`: written only if the
     * row is still at that version (else read again and merged afresh), which saves the locked read. Decision 0111.
     */
    held?: StoredMessage,
  ): Promise<WrittenStatus | undefined> {
    if (held?.version !== undefined && storedParts) {
      const written = await this.writeIfUnchanged(held, storedParts, updates, outcome);
      if (written) return written;
      // Changed since the caller read it (an expiry, a cancel, another node): the parts may have changed too.
      storedParts = undefined;
    }
    // Locked until the commit (PostgreSQL): a receipt on one node and an expiry on another change it one after the other.
    const message = await this.repo.getForUpdate(messageId);
    if (!message) return undefined;
    return (await this.merge(message, updates, outcome, storedParts ?? (await this.repo.parts(messageId)), true))!;
  }

  /**
   * Merge into a copy of `held` and write it only if its row is still at `held.version` — then `storedParts` are
   * still the stored parts too, as every part write raises the version. Undefined, with nothing written, when the
   * row has changed; the caller decides what to read again (decision 0114).
   */
  async writeIfUnchanged(
    held: StoredMessage,
    storedParts: readonly MessagePart[],
    updates: readonly PartUpdate[],
    outcome: MessageOutcome = {},
  ): Promise<WrittenStatus | undefined> {
    if (held.version === undefined) return undefined;
    return this.merge({ ...held, version: held.version }, updates, outcome, storedParts);
  }

  /**
   * Merge into `message` (a copy of its own) and write it: unconditionally when it was read locked, else only if
   * its row is still at `message.version` (undefined, and nothing written, when it is not).
   */
  private async merge(
    message: StoredMessage,
    updates: readonly PartUpdate[],
    outcome: MessageOutcome,
    storedParts: readonly MessagePart[],
    locked = false,
  ): Promise<WrittenStatus | undefined> {
    const messageId = message.id;
    const parts = new Map<number, MessagePart>();
    for (const part of storedParts) parts.set(part.partNo, part);
    let partsTotal = parts.values().next().value?.partsTotal ?? 0;
    let latest: PartUpdate | undefined;
    const applied: PartUpdate[] = [];
    const changedParts: MessagePart[] = [];
    const events: MessageEvent[] = [];

    for (const update of updates) {
      partsTotal = update.partsTotal;
      const existing = parts.get(update.partNo);
      if (existing && existing.status !== update.status && !canTransition(existing.status, update.status)) continue;
      if (existing && existing.status === update.status && update.carrierId === undefined) continue;
      const merged: MessagePart = {
        messageId,
        partNo: update.partNo,
        partsTotal: update.partsTotal,
        connectorId: update.connectorId,
        carrierId: update.carrierId ?? existing?.carrierId ?? null,
        status: update.status,
        carrierStatus: update.carrierStatus ?? existing?.carrierStatus ?? null,
        carrierError: update.carrierError ?? existing?.carrierError ?? null,
        submittedAt: existing?.submittedAt ?? (update.status !== MessageStatus.Accepted && update.carrierId !== undefined ? update.at : null),
        doneAt: isFinal(update.status) ? update.at : (existing?.doneAt ?? null),
      };
      parts.set(update.partNo, merged);
      changedParts.push(merged);
      latest = update;
      applied.push(update);
      events.push(partEvent(update));
    }

    const statuses: MessageStatus[] = [];
    for (let no = 1; no <= partsTotal; no++) statuses.push(parts.get(no)?.status ?? MessageStatus.Accepted);
    const rolled = rollUp(statuses);
    const previous = message.status;
    const now = latest?.at ?? Date.now();
    message.connectorId = latest?.connectorId ?? message.connectorId;
    if (outcome.errorCode !== undefined) message.errorCode = outcome.errorCode;
    if (outcome.errorText !== undefined) message.errorText = outcome.errorText;
    if (outcome.possibleDuplicate) message.possibleDuplicate = true;
    // The carrier's words come from a part whose status the message now has: a late DELIVRD for one part
    // must not stand beside the message's `failed` (the callback already said why it failed).
    const moves = canTransition(previous, rolled);
    const status = moves ? rolled : previous;
    const deciding = lastWithStatus(applied, status);
    if (deciding?.carrierStatus) message.carrierStatus = deciding.carrierStatus;
    if (deciding?.carrierError !== undefined && deciding.carrierError !== null) message.carrierError = deciding.carrierError;
    message.updatedAt = now;
    if (moves) {
      message.status = rolled;
      if (message.submittedAt === null && anySubmitted(parts)) message.submittedAt = now;
      if (isFinal(rolled)) message.doneAt = now;
      events.push(statusEvent(message, now));
    }

    // The message row first: a conditional write that finds it changed has then written nothing at all.
    if (locked) await this.repo.update(message, encodeEvents(events));
    else if (!(await this.repo.updateIfUnchanged(message as StoredMessage & { version: number }, encodeEvents(events)))) return undefined;
    for (const part of changedParts) await this.savePart(part, storedParts);
    if (moves) await this.notify(message, previous);
    return { message, parts };
  }

  /**
   * A part whose stored row names the same connector, carrier reference and part count (a receipt, most often) has
   * only its progress written; any other is written whole. `storedParts` are the rows as stored before this write.
   */
  private async savePart(part: MessagePart, storedParts: readonly MessagePart[]): Promise<void> {
    const stored = partNumbered(storedParts, part.partNo);
    if (stored && sameIdentity(stored, part) && (await this.repo.updatePartStatus(part))) return;
    await this.repo.savePart(part, part.carrierId === null ? null : normalizeCarrierId(part.carrierId));
  }

  /** Move the message itself to a final status without parts (never submitted: expired, rejected by us). */
  async finish(given: StoredMessage, status: MessageStatus, outcome: MessageOutcome, now: number): Promise<boolean> {
    // The row as it is now, locked (another node may have moved it since `given` was read).
    const message = (await this.repo.getForUpdate(given.id)) ?? given;
    if (!canTransition(message.status, status)) return false;
    const previous = message.status;
    message.status = status;
    message.doneAt = now;
    message.updatedAt = now;
    if (outcome.errorCode !== undefined) message.errorCode = outcome.errorCode;
    if (outcome.errorText !== undefined) message.errorText = outcome.errorText;
    await this.repo.update(message, encodeEvents([statusEvent(message, now)]));
    await this.notify(message, previous);
    Object.assign(given, message);
    return true;
  }
}

/*
 * The helpers below are loops and plain assignments where a spread, a filter or an array copy would read shorter:
 * every submit result and every receipt runs them on the main thread, and their garbage was a tenth of what a message
 * allocates there (bench/RESULTS.md, "Issue 18, session 24").
 */

/** The history line of one part's step; the carrier's fields only when it gave them. */
function partEvent(update: PartUpdate): MessageEvent {
  const event: Extract<MessageEvent, { kind: 'part' }> = { at: update.at, kind: 'part', part: update.partNo, status: update.status };
  if (update.carrierId !== undefined) event.carrierId = update.carrierId;
  if (update.carrierStatus) event.carrierStatus = update.carrierStatus;
  if (update.carrierError) event.carrierError = update.carrierError;
  return event;
}

/** The last applied update that has `status`. */
function lastWithStatus(applied: readonly PartUpdate[], status: MessageStatus): PartUpdate | undefined {
  for (let i = applied.length - 1; i >= 0; i--) if (applied[i]!.status === status) return applied[i];
  return undefined;
}

/** The part numbered `partNo`, if there is one. */
function partNumbered(parts: readonly MessagePart[], partNo: number): MessagePart | undefined {
  for (const part of parts) if (part.partNo === partNo) return part;
  return undefined;
}

/** Whether two versions of a part agree on what identifies it (and what the carrier-id index holds). */
function sameIdentity(a: MessagePart, b: MessagePart): boolean {
  return a.connectorId === b.connectorId && a.carrierId === b.carrierId && a.partsTotal === b.partsTotal;
}

/** Whether any part has gone to the carrier (has the carrier's id). */
function anySubmitted(parts: ReadonlyMap<number, MessagePart>): boolean {
  for (const part of parts.values()) if (part.carrierId !== null) return true;
  return false;
}

function statusEvent(message: StoredMessage, at: number): MessageEvent {
  const event: Extract<MessageEvent, { kind: 'status' }> = { at, kind: 'status', status: message.status };
  if (message.errorCode) event.errorCode = message.errorCode;
  if (message.errorText) event.errorText = message.errorText;
  return event;
}
