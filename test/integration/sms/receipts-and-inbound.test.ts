/**
 * Receipts and inbound reassembly against the real SQLite store: a status
 * never moves backwards, a receipt that beats its submit_sm_resp still
 * counts, MO parts join in order whatever order they come in, and a group
 * whose parts never all come is delivered flagged incomplete.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SqlExecutor } from '../../../src/store/sql.js';
import { MessageRepo } from '../../../src/store/message-repo.js';
import type { StoredMessage } from '../../../src/sms/message.js';
import { UnmatchedReceiptRepo } from '../../../src/store/unmatched-receipt-repo.js';
import { InboundRepo, type InboundMessage } from '../../../src/store/inbound-repo.js';
import { StatusWriter } from '../../../src/sms/status-writer.js';
import { ReceiptProcessor } from '../../../src/sms/receipts.js';
import { InboundService } from '../../../src/sms/inbound.js';
import { ReportTimeoutWatcher } from '../../../src/sms/report-timeout.js';
import { MessageStatus, type MessageStatus as Status } from '../../../src/sms/message.js';
import { encodeGsm7, encodeUcs2 } from '../../../src/sms/encoding/index.js';
import { silentLogger } from '../../../src/shared/log.js';
import { storedMessage } from '../../support/stored-message.js';
import { postgresKind, sqliteKind, type StoreKind } from '../../support/store-under-test.js';

const kinds: StoreKind[] = [sqliteKind(), postgresKind()];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanups.splice(0)) await close();
});
afterAll(async () => {
  for (const kind of kinds) await kind.shutdown();
});

function message(id: string): StoredMessage {
  return storedMessage({ id, sender: 's', recipient: '+361', text: 't', partsEstimate: 2 });
}

describe.each(kinds)('SMS core on $name', (kind) => {
  if (kind.missing) it.skip(`skipped: ${kind.missing}`, () => undefined);
  const it_ = kind.missing ? it.skip : it;

  /** A fresh store of this kind, closed after the test. */
  async function store() {
    const opened = await kind.open();
    cleanups.push(() => opened.close());
    return opened;
  }
  /** How many rows a table holds, on either store. */
  async function count(sql: SqlExecutor, from: string): Promise<number> {
    return (await sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${from}`))!.n;
  }

  describe('receipts', () => {
    async function setup() {
      const { sql, committer } = await store();
      const repo = new MessageRepo(sql);
      const changes: Array<{ id: string; from: Status; to: Status }> = [];
      const writer = new StatusWriter(repo, async (m, previous) => void changes.push({ id: m.id, from: previous, to: m.status }));
      let now = 1_000_000;
      const receipts = new ReceiptProcessor({
        repo,
        unmatched: new UnmatchedReceiptRepo(sql),
        committer,
        statusWriter: writer,
        log: silentLogger(),
        now: () => now,
        settleMs: 2000,
      });
      const submitted = (id: string, carrierIds: string[]) =>
        committer.run(async () => {
          await writer.applyParts(
            id,
            carrierIds.map((carrierId, i) => ({
              partNo: i + 1,
              partsTotal: carrierIds.length,
              connectorId: 'c',
              status: MessageStatus.Submitted,
              carrierId,
              at: 2,
            })),
          );
          for (const carrierId of carrierIds) await receipts.matchWaiting('c', carrierId);
        });
      const receipt = (carrierId: string, stat: string, status: Status) =>
        receipts.handle({ connectorId: 'c', carrierId, status, stat, err: '000', submitDate: null, doneDate: null, text: null });
      const settle = (afterMs: number) => {
        now += afterMs;
        return committer.run(() => receipts.settle());
      };
      return { sql, repo, changes, submitted, receipt, committer, settle };
    }

    it_('delivers a two-part message only when both parts are delivered, and ignores a late ENROUTE', async () => {
      const { repo, changes, submitted, receipt, committer } = await setup();
      await committer.run(() => repo.insert(message('m1')));
      await submitted('m1', ['A1', 'A2']);
      await receipt('A1', 'DELIVRD', MessageStatus.Delivered);
      expect((await repo.get('m1'))!.status).toBe(MessageStatus.Submitted);
      await receipt('A2', 'DELIVRD', MessageStatus.Delivered);
      expect((await repo.get('m1'))!.status).toBe(MessageStatus.Delivered);
      await receipt('A2', 'ENROUTE', MessageStatus.Buffered);
      await receipt('A1', 'UNDELIV', MessageStatus.Failed);
      expect((await repo.get('m1'))!.status).toBe(MessageStatus.Delivered);
      expect(changes.filter((c) => c.id === 'm1').map((c) => c.to)).toEqual(['submitted', 'delivered']);
    });

    it_('fails the message as soon as one part fails', async () => {
      const { repo, submitted, receipt, committer } = await setup();
      await committer.run(() => repo.insert(message('m2')));
      await submitted('m2', ['B1', 'B2']);
      await receipt('B2', 'UNDELIV', MessageStatus.Failed);
      expect(await repo.get('m2')).toMatchObject({ status: 'failed', carrierStatus: 'UNDELIV' });
    });

    it_('keeps a receipt that arrives before its submit_sm_resp and applies it when the id is recorded (hex vs decimal)', async () => {
      const { repo, sql, submitted, receipt, committer, settle } = await setup();
      await committer.run(() => repo.insert(message('m3')));
      await receipt('6699', 'DELIVRD', MessageStatus.Delivered); // decimal form of 1A2B
      expect(await count(sql, 'unmatched_receipts')).toBe(1);
      await submitted('m3', ['1A2B']);
      // No exact match: while the connector's convention is unknown, the numeric readings are tried once the receipt has settled.
      expect((await repo.parts('m3')).map((p) => p.status)).toEqual(['submitted']);
      expect(await settle(1000)).toBe(0);
      expect(await settle(1500)).toBe(1);
      expect((await repo.parts('m3')).map((p) => p.status)).toEqual(['delivered']);
      expect((await repo.get('m3'))!.status).toBe('delivered');
      expect(await count(sql, 'unmatched_receipts')).toBe(0);
    });

    it_('marks a message whose report never came unknown after the report timeout, and lets a late report correct it', async () => {
      const { repo, sql, submitted, receipt, committer, changes } = await setup();
      let now = 10_000;
      const writer = new StatusWriter(repo, async (m, previous) => void changes.push({ id: m.id, from: previous, to: m.status }));
      const watcher = new ReportTimeoutWatcher({
        repo,
        committer,
        statusWriter: writer,
        log: silentLogger(),
        timeouts: new Map([['c', 60_000]]),
        now: () => now,
      });
      await committer.run(() => repo.insert(message('m7')));
      await submitted('m7', ['77']);
      now = 2 + 30_000;
      expect(await watcher.sweep()).toBe(0);
      now = 2 + 60_000;
      expect(await watcher.sweep()).toBe(1);
      expect(await repo.get('m7')).toMatchObject({ status: 'unknown', errorCode: 'TN_ERR_REPORT_TIMEOUT' });
      expect(await watcher.sweep()).toBe(0); // final: not marked twice
      await receipt('77', 'DELIVRD', MessageStatus.Delivered); // the report comes after all
      expect((await repo.get('m7'))!.status).toBe('delivered');
      expect(changes.filter((c) => c.id === 'm7').map((c) => `${c.from}->${c.to}`)).toEqual([
        'accepted->submitted',
        'submitted->unknown',
        'unknown->delivered',
      ]);
      expect(await count(sql, "messages WHERE status = 'unknown'")).toBe(0);
    });

    it_('tries a new waiting receipt even behind 600 old ones that never match (no starvation)', async () => {
      const { repo, submitted, receipt, committer, settle } = await setup();
      for (let i = 0; i < 600; i++) await receipt(`zz-${i}`, 'DELIVRD', MessageStatus.Delivered); // ids no part will ever have
      await committer.run(() => repo.insert(message('m9')));
      await submitted('m9', ['1A2B']);
      await receipt('6699', 'DELIVRD', MessageStatus.Delivered); // decimal of 1A2B: tried once settled
      await settle(2500);
      await settle(0);
      expect((await repo.get('m9'))!.status).toBe('delivered');
    });

    describe("recycled ids (a modem's TP-MR wraps at 256)", () => {
      async function recycled() {
        const base = await setup();
        const { sql, committer, repo } = base;
        const writer = new StatusWriter(repo, async () => undefined);
        let now = 1_000_000;
        const receipts = new ReceiptProcessor({
          repo,
          unmatched: new UnmatchedReceiptRepo(sql),
          committer,
          statusWriter: writer,
          log: silentLogger(),
          now: () => now,
        });
        const submittedAt = (id: string, carrierId: string, at: number) =>
          committer.run(async () => {
            await writer.applyParts(id, [{ partNo: 1, partsTotal: 1, connectorId: 'c', status: MessageStatus.Submitted, carrierId, at }]);
            await receipts.matchWaiting('c', carrierId);
          });
        const report = (carrierId: string, status: Status) =>
          receipts.handle({
            connectorId: 'c',
            carrierId,
            status,
            stat: status === 'delivered' ? 'DELIVRD' : 'UNDELIV',
            err: '00',
            submitDate: null,
            doneDate: null,
            text: null,
            idRecycles: true,
          });
        return { ...base, submittedAt, report, advance: (ms: number) => (now += ms) };
      }

      it_('does not let a report that waited longer than the submit-result race settle a new part reusing its reference', async () => {
        const { repo, committer, submittedAt, report, advance } = await recycled();
        await committer.run(() => repo.insert(message('new')));
        await report('gsm:7@3630', MessageStatus.Failed); // for some part we never knew (another app, a previous install)
        advance(60_000);
        await submittedAt('new', 'gsm:7@3630', 20);
        expect((await repo.get('new'))!.status).toBe('submitted'); // before: failed by a stranger's report
        await report('gsm:7@3630', MessageStatus.Delivered);
        expect((await repo.get('new'))!.status).toBe('delivered');
      });

      it_('applies a report to the latest part with that reference still waiting, not to an older one whose report was lost', async () => {
        const { repo, committer, submittedAt, report } = await recycled();
        await committer.run(async () => {
          await repo.insert(message('old'));
          await repo.insert(message('new'));
        });
        await submittedAt('old', 'gsm:5@36301234567', 10);
        await submittedAt('new', 'gsm:5@36301234567', 20);
        await report('gsm:5@36301234567', MessageStatus.Delivered);
        expect((await repo.get('new'))!.status).toBe('delivered');
        expect((await repo.get('old'))!.status).toBe('submitted');
      });

      it_('keeps a report that beats its own submit result waiting instead of giving it to an older finished part', async () => {
        const { sql, repo, committer, submittedAt, report } = await recycled();
        await committer.run(async () => {
          await repo.insert(message('old'));
          await repo.insert(message('new'));
        });
        await submittedAt('old', 'gsm:9@3630', 10);
        await report('gsm:9@3630', MessageStatus.Delivered);
        expect((await repo.get('old'))!.status).toBe('delivered');
        // 256 sends later the modem uses 9 again for the same number; its report arrives before the +CMGS answer is stored.
        await report('gsm:9@3630', MessageStatus.Failed);
        expect((await repo.get('old'))!.status).toBe('delivered');
        expect(await count(sql, 'unmatched_receipts')).toBe(1);
        await submittedAt('new', 'gsm:9@3630', 20);
        expect((await repo.get('new'))!.status).toBe('failed');
        expect(await count(sql, 'unmatched_receipts')).toBe(0);
      });
    });
  });

  describe('inbound reassembly', () => {
    async function setup(timeoutMs = 60_000) {
      const { sql, committer } = await store();
      const posted: InboundMessage[] = [];
      let now = 1_000_000;
      const service = new InboundService({
        repo: new InboundRepo(sql),
        committer,
        notify: async (m) => void posted.push(m),
        log: silentLogger(),
        reassemblyTimeoutMs: timeoutMs,
        now: () => now,
      });
      const part = (seq: number, total: number, payload: Buffer, reference = 7, dataCoding = 0) =>
        service.receive({ connectorId: 'c', sender: '3630', recipient: '1234', dataCoding, payload, concat: { reference, total, seq }, receivedAt: now });
      return { sql, service, posted, part, advance: (ms: number) => (now += ms) };
    }

    it_('joins parts that arrive out of order and twice, once', async () => {
      const { posted, part } = await setup();
      await part(3, 3, encodeGsm7('three'));
      await part(1, 3, encodeGsm7('one '));
      await part(3, 3, encodeGsm7('three'));
      expect(posted).toHaveLength(0);
      await part(2, 3, encodeGsm7('two '));
      expect(posted).toHaveLength(1);
      expect(posted[0]).toMatchObject({ text: 'one two three', partsTotal: 3, complete: true });
    });

    it_('keeps groups apart by reference and joins UCS-2 split inside a surrogate pair', async () => {
      const { posted, part } = await setup();
      const bytes = encodeUcs2('ab😀cd');
      await part(1, 2, bytes.subarray(0, 6), 1, 8);
      await part(1, 2, encodeGsm7('other '), 2);
      await part(2, 2, bytes.subarray(6), 1, 8);
      expect(posted.map((m) => m.text)).toEqual(['ab😀cd']);
    });

    it_('drops a part the SMSC sends again after its message was joined, instead of starting a second, partial one', async () => {
      const { posted, part, service, advance } = await setup(1000);
      await part(1, 2, encodeGsm7('first '));
      await part(2, 2, encodeGsm7('second'));
      expect(posted.map((m) => m.text)).toEqual(['first second']);
      // its deliver_sm_resp got lost: the SMSC sends part 2 again
      await part(2, 2, encodeGsm7('second'));
      advance(1100);
      await service.sweep();
      expect(posted).toHaveLength(1); // before: a second IncomingSMS, 'second', flagged incomplete
      // after the window the same reference may start a new message
      advance(1000);
      await service.sweep();
      await part(1, 2, encodeGsm7('new '));
      await part(2, 2, encodeGsm7('one'));
      expect(posted.map((m) => m.text)).toEqual(['first second', 'new one']);
    });

    it_('delivers what came, flagged incomplete, after the reassembly timeout', async () => {
      const { posted, part, service, advance, sql } = await setup(1000);
      await part(1, 2, encodeGsm7('only half'));
      advance(500);
      expect(await service.sweep()).toBe(0);
      advance(600);
      expect(await service.sweep()).toBe(1);
      expect(posted[0]).toMatchObject({ text: 'only half', complete: false, partsTotal: 2 });
      expect(await count(sql, 'inbound_fragments')).toBe(0);
    });
  });
});
