/**
 * ReceiptProcessor (src/sms/receipts.ts) over in-memory stores: a receipt
 * settles exactly the part whose carrier id it quotes, never another
 * message's; one that comes before its submit result waits and is applied
 * when the id is recorded; an id that reads as two different parts is applied
 * to neither.
 */
import { describe, expect, it } from 'vitest';
import { ReceiptProcessor } from '../../../src/sms/receipts.js';
import { StatusWriter } from '../../../src/sms/status-writer.js';
import { MessageStatus } from '../../../src/sms/message.js';
import type { ReceiptEvent } from '../../../src/sms/connectors/connector.js';
import type { CarrierIdFormat } from '../../../src/sms/carrier-id-convention.js';
import { normalizeCarrierId } from '../../../src/sms/carrier-id.js';
import { silentLogger } from '../../../src/shared/log.js';
import { fakeCommitter } from '../../support/fake-committer.js';
import { FakeMessageStore } from '../../support/fake-message-store.js';
import { FakeUnmatchedReceipts } from '../../support/fake-unmatched-receipts.js';

function setup(format: CarrierIdFormat = 'auto', shared = false) {
  let now = 1_000_000;
  const store = new FakeMessageStore();
  const unmatched = new FakeUnmatchedReceipts();
  const statusWriter = new StatusWriter(store, async () => undefined);
  const receipts = new ReceiptProcessor({
    repo: store,
    unmatched,
    committer: fakeCommitter,
    statusWriter,
    log: silentLogger(),
    now: () => now,
    settleMs: 2000,
    carrierIdFormats: new Map([['c1', format]]),
    shared,
  });
  /** A one-part message submitted with this carrier id. */
  const submitted = (carrierId: string) => {
    const message = store.add({ status: MessageStatus.Submitted, connectorId: 'c1' });
    store.savePart(
      {
        messageId: message.id,
        partNo: 1,
        partsTotal: 1,
        connectorId: 'c1',
        carrierId,
        status: MessageStatus.Submitted,
        carrierStatus: null,
        carrierError: null,
        submittedAt: now,
        doneAt: null,
      },
      normalizeCarrierId(carrierId),
    );
    return message.id;
  };
  /** A one-part message whose submit result this node recorded, as the outbox does: held for its receipt. */
  const submittedAndHeld = async (carrierId: string) => {
    const message = store.add({ status: MessageStatus.Accepted, connectorId: 'c1' });
    const update = { partNo: 1, partsTotal: 1, connectorId: 'c1', status: MessageStatus.Submitted, carrierId, at: now };
    const written = (await statusWriter.write(message.id, [update], {}, [], message))!;
    receipts.remember('c1', written);
    return { message, written };
  };
  const submittedHere = async (carrierId: string) => (await submittedAndHeld(carrierId)).message.id;
  /** As submittedHere, but the transaction that wrote it is rolled back (a failed commit): the row is as before. */
  const submittedAndRolledBack = async (carrierId: string) => {
    const { message, written } = await submittedAndHeld(carrierId);
    store.messages.set(message.id, message); // the rollback
    store.partsByMessage.delete(message.id);
    receipts.forget('c1', written);
    return { id: message.id, written };
  };
  /** How often the receipt path read the store. */
  const reads = { parts: 0, messages: 0 };
  const findParts = store.findPartsByCarrierId.bind(store);
  store.findPartsByCarrierId = (connectorId, norms) => (reads.parts++, findParts(connectorId, norms));
  const getForUpdate = store.getForUpdate.bind(store);
  store.getForUpdate = (id) => (reads.messages++, getForUpdate(id));
  return { store, unmatched, receipts, statusWriter, submitted, submittedHere, submittedAndRolledBack, reads, advance: (ms: number) => (now += ms) };
}

const receipt = (carrierId: string, status: MessageStatus = MessageStatus.Delivered): ReceiptEvent => ({
  connectorId: 'c1',
  carrierId,
  status,
  stat: status === MessageStatus.Delivered ? 'DELIVRD' : 'UNDELIV',
  err: '000',
  submitDate: null,
  doneDate: null,
  text: null,
});

describe('receipts', () => {
  it('settle exactly the part whose id they quote', async () => {
    const { store, receipts, submitted } = setup();
    const a = submitted('10');
    const b = submitted('16');
    await receipts.handle(receipt('16', MessageStatus.Failed));
    expect(await store.get(b)).toMatchObject({ status: MessageStatus.Failed, carrierStatus: 'UNDELIV' });
    expect((await store.get(a))!.status).toBe(MessageStatus.Submitted);
  });

  it('with small decimal ids and carrierIdFormat string, receipt 10 never settles the message whose id is 16 (10 read as hex)', async () => {
    const { store, receipts, submitted, advance } = setup('string');
    const sixteen = submitted('16');
    await receipts.handle(receipt('10'));
    advance(5000);
    await receipts.settle();
    expect((await store.get(sixteen))!.status).toBe(MessageStatus.Submitted);
  });

  it('a receipt read in the same socket chunk as its submit_sm_resp matches at once instead of waiting as unmatched', async () => {
    const { store, unmatched, receipts, submitted } = setup();
    // The deliver_sm's handler runs first; the submit result is recorded a few promise hops later, in the same turn.
    const handled = receipts.handle(receipt('XYZ9'));
    let id = '';
    await Promise.resolve()
      .then(() => Promise.resolve())
      .then(() => (id = submitted('XYZ9')));
    await handled;
    expect(await unmatched.count()).toBe(0);
    expect((await store.get(id))!.status).toBe(MessageStatus.Delivered);
  });

  it("a receipt that comes before its submit result waits, and is applied when the part's id is recorded", async () => {
    const { store, unmatched, receipts, submitted } = setup();
    await receipts.handle(receipt('ABC123'));
    expect(await unmatched.count()).toBe(1);
    const id = submitted('ABC123');
    await receipts.matchWaiting('c1', 'ABC123');
    expect((await store.get(id))!.status).toBe(MessageStatus.Delivered);
    expect(await unmatched.count()).toBe(0);
  });

  it('learning (auto): an id that reads as two different parts, hex and decimal, is applied to neither', async () => {
    const { store, receipts, submitted, advance } = setup('auto');
    const asHex = submitted('10'); // receipt "16" read as decimal-for-hex: 0x10 = 16
    const asDecimal = submitted('22'); // receipt "16" read as hex-for-decimal: 0x16 = 22
    await receipts.handle(receipt('16'));
    advance(2500);
    expect(await receipts.settle()).toBe(0);
    expect((await store.get(asHex))!.status).toBe(MessageStatus.Submitted);
    expect((await store.get(asDecimal))!.status).toBe(MessageStatus.Submitted);
  });

  it('learning (auto): an unambiguous numeric reading is applied once the receipt has waited', async () => {
    const { store, receipts, submitted, advance } = setup('auto');
    const id = submitted('1A'); // hex submit id; the receipt quotes it in decimal
    await receipts.handle(receipt('26'));
    expect((await store.get(id))!.status).toBe(MessageStatus.Submitted);
    advance(2500);
    expect(await receipts.settle()).toBe(1);
    expect((await store.get(id))!.status).toBe(MessageStatus.Delivered);
  });

  it('on a shared store, a receipt kept waiting is applied moments later once its part is there, though nothing matched it', async () => {
    // Two transactions side by side (PostgreSQL): the receipt's found no part, the submit result's found no waiting
    // receipt. Nothing calls matchWaiting now, and the settle pass is not running (it would take 2 s or more).
    const { store, unmatched, receipts, submitted } = setup('string', true);
    try {
      await receipts.handle(receipt('ab12'));
      expect(await unmatched.count()).toBe(1);
      const id = submitted('AB12');
      await expect.poll(async () => (await store.get(id))!.status, { timeout: 5000 }).toBe(MessageStatus.Delivered);
      expect(await unmatched.count()).toBe(0);
    } finally {
      receipts.stop();
    }
  });

  describe('a part this node submitted, held for its receipt (decision 0114)', () => {
    it('is settled by its receipt without reading the part or the message again', async () => {
      const { store, receipts, submittedHere, reads } = setup('string');
      const id = await submittedHere('5A10');
      await receipts.handle(receipt('5a10'));
      expect(await store.get(id)).toMatchObject({ status: MessageStatus.Delivered, carrierStatus: 'DELIVRD' });
      expect((await store.parts(id))[0]).toMatchObject({ status: MessageStatus.Delivered, carrierId: '5A10' });
      expect(reads).toEqual({ parts: 0, messages: 0 });
    });

    it('is not trusted once its message changed: the receipt goes to the store and settles the part that has the id now', async () => {
      const { store, receipts, statusWriter, submitted, submittedHere, reads } = setup('string');
      const a = await submittedHere('X1');
      // Sent again with another carrier id (the first submit_sm_resp was lost), then X1 handed out again, to b.
      const resent = { partNo: 1, partsTotal: 1, connectorId: 'c1', status: MessageStatus.Submitted, carrierId: 'Y2', at: 2_000_000 };
      await statusWriter.applyParts(a, [resent]);
      const b = submitted('X1');
      await receipts.handle(receipt('X1'));
      expect((await store.get(b))!.status).toBe(MessageStatus.Delivered);
      expect((await store.get(a))!.status).toBe(MessageStatus.Submitted);
      expect(reads.parts).toBe(1);
    });

    it('a second receipt for it (a late UNDELIV after DELIVRD) goes to the store and does not move the final status', async () => {
      const { store, receipts, submittedHere, reads } = setup('string');
      const id = await submittedHere('77');
      await receipts.handle(receipt('77'));
      await receipts.handle(receipt('77', MessageStatus.Failed));
      expect(await store.get(id)).toMatchObject({ status: MessageStatus.Delivered, carrierStatus: 'DELIVRD' });
      expect(reads.parts).toBe(1);
    });

    it('is forgotten when its connector goes down: the receipt after it is looked up in the store', async () => {
      const { store, receipts, submittedHere, reads } = setup('string');
      const id = await submittedHere('4242');
      receipts.connectorDown('c1');
      await receipts.handle(receipt('4242'));
      expect((await store.get(id))!.status).toBe(MessageStatus.Delivered);
      expect(reads.parts).toBe(1);
    });

    it('is forgotten when the transaction that wrote it is rolled back, but not when a newer part took its id since', async () => {
      const { store, receipts, statusWriter, submittedAndRolledBack, submittedHere, reads } = setup('string');
      const { id, written } = await submittedAndRolledBack('31');
      // Brought to the held version by other writes meanwhile: the held copy would pass the version check.
      await statusWriter.applyParts(id, [{ partNo: 1, partsTotal: 1, connectorId: 'c1', status: MessageStatus.Accepted, at: 1 }]);
      expect((await store.get(id))!.version).toBe(written.message.version);
      await receipts.handle(receipt('31'));
      expect((await store.get(id))!.status).toBe(MessageStatus.Accepted); // no part carries 31: the receipt waits
      expect(reads.parts).toBe(1);

      const newer = await submittedHere('32');
      receipts.forget('c1', written); // an older write's rollback does not drop the part that holds an id now
      receipts.forget('c1', { ...written, parts: new Map([[1, { ...written.parts.get(1)!, carrierId: '32' }]]) });
      await receipts.handle(receipt('32'));
      expect((await store.get(newer))!.status).toBe(MessageStatus.Delivered);
      expect(reads.parts).toBe(1);
    });

    it('is never held on a store shared with other nodes (they submit on the same connector)', async () => {
      const { store, receipts, submittedHere, reads } = setup('string', true);
      try {
        const id = await submittedHere('99');
        await receipts.handle(receipt('99'));
        expect((await store.get(id))!.status).toBe(MessageStatus.Delivered);
        expect(reads.parts).toBe(1);
      } finally {
        receipts.stop();
      }
    });
  });
});
