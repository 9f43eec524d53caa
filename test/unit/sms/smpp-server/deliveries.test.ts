/**
 * The deliver_sm queue of the SMPP server (src/sms/smpp-server/deliveries.ts) when the store takes no answer: a
 * client that acknowledged a deliver_sm whose deletion could not be written (a full disk) must not be offered it
 * again at once, and again — every pass (each answer kicks one) read the row back as due.
 */
import { describe, expect, it } from 'vitest';
import { DeliveryDispatcher } from '../../../../src/sms/smpp-server/deliveries.js';
import type { DeliveryQueueStore, QueuedDelivery } from '../../../../src/sms/smpp-server/ports.js';
import { silentLogger } from '../../../../src/shared/log.js';
import { waitUntil } from '../../../helpers/temp-dir.js';

function queueOf(rows: QueuedDelivery[]): DeliveryQueueStore {
  return {
    enqueue: async () => undefined,
    oldest: async (systemId, limit) => rows.filter((r) => r.systemId === systemId).slice(0, limit),
    delete: async (id) =>
      void rows.splice(
        rows.findIndex((r) => r.id === id),
        1,
      ),
    postpone: async (id, attempts, nextAttemptAt) =>
      void Object.assign(
        rows.find((r) => r.id === id)!,
        { attempts, nextAttemptAt },
      ),
    backlog: async () => new Map([['crm', rows.length]]),
  };
}

describe('SMPP server deliveries', () => {
  it('a deliver_sm whose answer cannot be written is offered again only after the retry delay', async () => {
    const rows: QueuedDelivery[] = [
      { id: 1, systemId: 'crm', orderKey: 'm1', kind: 'receipt', fields: { short_message: 'id:1' }, createdAt: 0, attempts: 0, nextAttemptAt: 0 },
    ];
    let failing = true;
    const offeredAt: number[] = [];
    const dispatcher = new DeliveryDispatcher({
      queue: queueOf(rows),
      committer: { run: async (work) => (failing ? Promise.reject(new Error('SQLITE_FULL: database or disk is full')) : work()) },
      targets: () => [{ room: () => 10, deliver: async () => (offeredAt.push(Date.now()), 0) }],
      boundClients: () => ['crm'],
      log: silentLogger(),
      retryMs: 400,
    });
    dispatcher.start();
    try {
      await waitUntil(() => offeredAt.length >= 3, 10_000, 'three offers');
      failing = false;
      await waitUntil(() => rows.length === 0, 10_000, 'the row deleted once the store takes writes');
      // Never sooner than the retry delay after the one before (a busy machine only makes the gaps longer).
      const gaps = offeredAt.slice(1).map((at, i) => at - offeredAt[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(380);
    } finally {
      dispatcher.stop();
    }
  });
});
