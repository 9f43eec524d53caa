/**
 * StatusWriter (src/sms/status-writer.ts) over an in-memory store: parts roll
 * up into the message status, nothing moves backwards, the notifier runs once
 * per real step and never for a non-step, outcomes (error, possible duplicate)
 * stick as documented.
 */
import { describe, expect, it, vi } from 'vitest';
import { StatusWriter, type PartUpdate } from '../../../src/sms/status-writer.js';
import { MessageStatus } from '../../../src/sms/message.js';
import type { StoredMessage } from '../../../src/sms/message.js';
import { FakeMessageStore } from '../../support/fake-message-store.js';
import { storedPart } from '../../support/stored-message.js';

function setup() {
  const store = new FakeMessageStore();
  const notified: Array<{ status: string; previous: string }> = [];
  const writer = new StatusWriter(store, async (message: StoredMessage, previous) => void notified.push({ status: message.status, previous }));
  return { store, writer, notified };
}

const part = (partNo: number, status: MessageStatus, more: Partial<PartUpdate> = {}): PartUpdate => ({
  partNo,
  partsTotal: 2,
  connectorId: 'c1',
  status,
  at: 100 + partNo,
  ...more,
});

describe('StatusWriter', () => {
  it('a two-part message is submitted once both parts are, and delivered only once both are delivered', async () => {
    const { store, writer, notified } = setup();
    const { id } = store.add({ partsEstimate: 2 });
    await writer.applyParts(id, [part(1, MessageStatus.Submitted, { carrierId: 'A1' })]);
    expect((await store.get(id))!.status).toBe(MessageStatus.Accepted);
    await writer.applyParts(id, [part(2, MessageStatus.Submitted, { carrierId: 'A2' })]);
    expect(await store.get(id)).toMatchObject({ status: MessageStatus.Submitted, connectorId: 'c1' });
    await writer.applyParts(id, [part(1, MessageStatus.Delivered)]);
    expect((await store.get(id))!.status).toBe(MessageStatus.Submitted);
    await writer.applyParts(id, [part(2, MessageStatus.Delivered)]);
    expect(await store.get(id)).toMatchObject({ status: MessageStatus.Delivered, doneAt: 102 });
    expect(notified).toEqual([
      { status: MessageStatus.Submitted, previous: MessageStatus.Accepted },
      { status: MessageStatus.Delivered, previous: MessageStatus.Submitted },
    ]);
  });

  it('one failed part fails the message; a late "delivered" for another part does not move it back', async () => {
    const { store, writer, notified } = setup();
    const { id } = store.add({ partsEstimate: 2 });
    await writer.applyParts(id, [part(1, MessageStatus.Submitted, { carrierId: 'A1' }), part(2, MessageStatus.Submitted, { carrierId: 'A2' })]);
    await writer.applyParts(id, [part(1, MessageStatus.Failed, { carrierStatus: 'UNDELIV' }), part(2, MessageStatus.Delivered, { carrierStatus: 'DELIVRD' })]);
    expect(await store.get(id)).toMatchObject({ status: MessageStatus.Failed, carrierStatus: 'UNDELIV' });
    await writer.applyParts(id, [part(1, MessageStatus.Delivered, { carrierStatus: 'DELIVRD' })]);
    // Neither the status nor the carrier's words behind it change.
    expect(await store.get(id)).toMatchObject({ status: MessageStatus.Failed, carrierStatus: 'UNDELIV' });
    expect((await store.parts(id))[0]!.status).toBe(MessageStatus.Failed);
    expect(notified.map((n) => n.status)).toEqual([MessageStatus.Submitted, MessageStatus.Failed]);
  });

  it('the same update twice notifies once', async () => {
    const { store, writer, notified } = setup();
    const { id } = store.add();
    const update = part(1, MessageStatus.Submitted, { partsTotal: 1, carrierId: 'A1' });
    await writer.applyParts(id, [update]);
    await writer.applyParts(id, [{ ...update, carrierId: undefined }]);
    expect(notified).toHaveLength(1);
  });

  it('a clean attempt clears the error a refused one left; a possible duplicate stays marked', async () => {
    const { store, writer } = setup();
    const { id } = store.add();
    await writer.applyParts(id, [part(1, MessageStatus.Accepted, { partsTotal: 1 })], {
      errorCode: 'TN_ERR_MODEM_TIMEOUT',
      errorText: 'no answer',
      possibleDuplicate: true,
    });
    expect(await store.get(id)).toMatchObject({ errorCode: 'TN_ERR_MODEM_TIMEOUT', possibleDuplicate: true });
    await writer.applyParts(id, [part(1, MessageStatus.Submitted, { partsTotal: 1, carrierId: 'gsm:1@1' })], { errorCode: null, errorText: null });
    expect(await store.get(id)).toMatchObject({ status: MessageStatus.Submitted, errorCode: null, errorText: null, possibleDuplicate: true });
  });

  it('finish() ends a message without parts once, and never a final one again', async () => {
    const { store, writer, notified } = setup();
    const message = store.add();
    expect(await writer.finish(message, MessageStatus.Expired, { errorCode: 'TN_ERR_MESSAGE_EXPIRED' }, 500)).toBe(true);
    expect(await store.get(message.id)).toMatchObject({ status: MessageStatus.Expired, doneAt: 500, errorCode: 'TN_ERR_MESSAGE_EXPIRED' });
    expect(await writer.finish((await store.get(message.id))!, MessageStatus.Failed, {}, 600)).toBe(false);
    expect(notified).toEqual([{ status: MessageStatus.Expired, previous: MessageStatus.Accepted }]);
  });

  it('a message the caller holds is written without reading it again while nobody changed it', async () => {
    const { store, writer, notified } = setup();
    const held = store.add({ partsEstimate: 1 });
    let reads = 0;
    const read = store.getForUpdate.bind(store);
    store.getForUpdate = (id) => (reads++, read(id));
    const one = { ...part(1, MessageStatus.Submitted, { carrierId: 'A1' }), partsTotal: 1 };
    const written = await writer.applyParts(held.id, [one], {}, [], held);
    expect(reads).toBe(0);
    expect(written).toMatchObject({ status: MessageStatus.Submitted, version: 1 });
    expect(await store.get(held.id)).toMatchObject({ status: MessageStatus.Submitted, submittedAt: 101, version: 1 });
    expect((await store.parts(held.id)).map((p) => [p.status, p.carrierId])).toEqual([[MessageStatus.Submitted, 'A1']]);
    // The caller's copy is not the store's: it still says what it read.
    expect(held).toMatchObject({ status: MessageStatus.Accepted, version: 0 });
    expect(notified).toEqual([{ status: MessageStatus.Submitted, previous: MessageStatus.Accepted }]);
  });

  it('a held message that changed since it was read (expired meanwhile) is read again: the submit result does not bring it back', async () => {
    const { store, writer, notified } = setup();
    const held = store.add({ partsEstimate: 1 });
    expect(await writer.finish({ ...held }, MessageStatus.Expired, { errorCode: 'TN_ERR_MESSAGE_EXPIRED' }, 50)).toBe(true);
    const one = { ...part(1, MessageStatus.Submitted, { carrierId: 'A1' }), partsTotal: 1 };
    const written = await writer.applyParts(held.id, [one], {}, [], held);
    expect(written).toMatchObject({ status: MessageStatus.Expired });
    expect(await store.get(held.id)).toMatchObject({ status: MessageStatus.Expired, doneAt: 50, errorCode: 'TN_ERR_MESSAGE_EXPIRED' });
    // The part still records what the carrier said (its receipt must find it), once.
    expect((await store.parts(held.id)).map((p) => [p.status, p.carrierId])).toEqual([[MessageStatus.Submitted, 'A1']]);
    expect(notified).toEqual([{ status: MessageStatus.Expired, previous: MessageStatus.Accepted }]);
  });

  it("a receipt writes only the part's progress; a part sent again under a new reference is written whole", async () => {
    const { store, writer } = setup();
    const { id } = store.add({ partsEstimate: 1 });
    const whole = vi.spyOn(store, 'savePart');
    const progress = vi.spyOn(store, 'updatePartStatus');
    const writes = () => [whole.mock.calls.length, progress.mock.calls.length];
    const one = (status: MessageStatus, more: Partial<PartUpdate> = {}) => part(1, status, { partsTotal: 1, ...more });
    await writer.applyParts(id, [one(MessageStatus.Submitted, { carrierId: 'A1' })]);
    expect(writes()).toEqual([1, 0]);
    // The same part submitted again (a retry after its bind dropped, say) comes back under a reference of its own.
    await writer.applyParts(id, [one(MessageStatus.Submitted, { carrierId: 'B2' })]);
    expect(writes()).toEqual([2, 0]);
    expect((await store.parts(id))[0]).toMatchObject({ carrierId: 'B2', status: MessageStatus.Submitted });
    await writer.applyParts(id, [one(MessageStatus.Delivered, { carrierStatus: 'DELIVRD' })]);
    expect(writes()).toEqual([2, 1]);
    expect((await store.parts(id))[0]).toMatchObject({ carrierId: 'B2', status: MessageStatus.Delivered, carrierStatus: 'DELIVRD', doneAt: 101 });
    expect((await store.get(id))!.status).toBe(MessageStatus.Delivered);
  });

  it('a progress write that finds no stored part writes the part whole', async () => {
    const { store, writer } = setup();
    const { id } = store.add({ partsEstimate: 1 });
    const submitted = storedPart({ messageId: id, connectorId: 'c1', carrierId: 'A1', submittedAt: 100 });
    // The caller's parts say the part is stored; the store has lost it (it never should): the receipt still lands.
    await writer.write(id, [part(1, MessageStatus.Delivered, { partsTotal: 1 })], {}, [submitted]);
    expect(await store.parts(id)).toEqual([{ ...submitted, status: MessageStatus.Delivered, doneAt: 101 }]);
  });

  it('an unknown message is left alone', async () => {
    const { writer, notified } = setup();
    expect(await writer.applyParts('nope', [part(1, MessageStatus.Delivered)])).toBeUndefined();
    expect(notified).toEqual([]);
  });
});
