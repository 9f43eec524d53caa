/**
 * Inbound reassembly (src/sms/inbound.ts) over an in-memory store: one-part
 * and concatenated messages delivered once, in order, octets joined before
 * decoding; a repeated part after completion dropped; the timeout delivering
 * what came; a recipient with SMS switched off refused.
 */
import { describe, expect, it } from 'vitest';
import { InboundService } from '../../../src/sms/inbound.js';
import type { InboundFragment } from '../../../src/sms/connectors/connector.js';
import { encodeGsm7, encodeUcs2 } from '../../../src/sms/encoding/index.js';
import { silentLogger } from '../../../src/shared/log.js';
import type { InboundMessage } from '../../../src/store/inbound-repo.js';
import { fakeCommitter } from '../../support/fake-committer.js';
import { FakeInboundStore } from '../../support/fake-inbound-store.js';

function setup(options: { accepts?: (recipient: string) => boolean } = {}) {
  let now = 1_000_000;
  const store = new FakeInboundStore();
  const notified: InboundMessage[] = [];
  const service = new InboundService({
    repo: store,
    committer: fakeCommitter,
    notify: async (message) => void notified.push(message),
    log: silentLogger(),
    reassemblyTimeoutMs: 60_000,
    now: () => now,
    ...options,
  });
  return { store, service, notified, advance: (ms: number) => (now += ms), at: () => now };
}

const fragment = (payload: Buffer, concat: InboundFragment['concat'], more: Partial<InboundFragment> = {}): InboundFragment => ({
  connectorId: 'c1',
  sender: '+36301234567',
  recipient: '+36209999999',
  dataCoding: 0,
  payload,
  concat,
  receivedAt: 1_000_000,
  ...more,
});

describe('inbound reassembly', () => {
  it('a one-part message is delivered and notified once', async () => {
    const { service, notified } = setup();
    await service.receive(fragment(encodeGsm7('hello'), null));
    expect(notified).toMatchObject([{ text: 'hello', partsTotal: 1, complete: true }]);
  });

  it('a three-part message arriving out of order is delivered once, whole and in order, when the last part comes', async () => {
    const { service, notified, store } = setup();
    const parts = ['one ', 'two ', 'three'].map((t) => encodeGsm7(t));
    await service.receive(fragment(parts[2]!, { reference: 7, total: 3, seq: 3 }));
    await service.receive(fragment(parts[0]!, { reference: 7, total: 3, seq: 1 }));
    expect(notified).toHaveLength(0);
    await service.receive(fragment(parts[1]!, { reference: 7, total: 3, seq: 2 }));
    expect(notified).toMatchObject([{ text: 'one two three', partsTotal: 3, complete: true }]);
    expect(store.fragments.size).toBe(0);
  });

  it('joins octets before decoding: a UCS-2 surrogate pair split across two parts is one emoji', async () => {
    const { service, notified } = setup();
    const octets = encodeUcs2('ab😀');
    await service.receive(fragment(octets.subarray(0, 6), { reference: 9, total: 2, seq: 1 }, { dataCoding: 8 }));
    await service.receive(fragment(octets.subarray(6), { reference: 9, total: 2, seq: 2 }, { dataCoding: 8 }));
    expect(notified.map((m) => m.text)).toEqual(['ab😀']);
  });

  it('a part that arrives again after its message was delivered does not make a second, partial message', async () => {
    const { service, notified } = setup();
    await service.receive(fragment(encodeGsm7('a'), { reference: 1, total: 2, seq: 1 }));
    await service.receive(fragment(encodeGsm7('b'), { reference: 1, total: 2, seq: 2 }));
    await service.receive(fragment(encodeGsm7('b'), { reference: 1, total: 2, seq: 2 }));
    expect(notified).toHaveLength(1);
  });

  it('the reassembly timeout delivers what came, marked incomplete', async () => {
    const { service, notified, advance, at } = setup();
    await service.receive(fragment(encodeGsm7('first half '), { reference: 3, total: 2, seq: 1 }, { receivedAt: at() }));
    expect(await service.sweep()).toBe(0);
    advance(60_001);
    expect(await service.sweep()).toBe(1);
    expect(notified).toMatchObject([{ text: 'first half ', partsTotal: 2, complete: false }]);
  });

  it('a recipient with SMS switched off gets nothing stored or notified', async () => {
    const { service, notified, store } = setup({ accepts: () => false });
    expect(await service.receive(fragment(encodeGsm7('no'), null))).toBeNull();
    expect(notified).toEqual([]);
    expect(store.messages).toEqual([]);
  });
});
