/** Which IOVOX receipts a status change stores, against the real store. */
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src/store/sqlite/db.js';
import { SqliteExecutor } from '../../../../src/store/sqlite/executor.js';
import { WebhookRepo } from '../../../../src/store/webhook-repo.js';
import type { StoredMessage } from '../../../../src/sms/message.js';
import { enqueueIovoxReceipt } from '../../../../src/iovox/api/receipts.js';
import { MessageStatus } from '../../../../src/sms/message.js';
import { storedMessage } from '../../../support/stored-message.js';

const db = openDatabase({ path: ':memory:' });
afterAll(() => db.close());
const callbacks = new WebhookRepo(new SqliteExecutor(db));

function message(id: string, status: MessageStatus, extra: Partial<StoredMessage> = {}): StoredMessage {
  return storedMessage({
    id,
    dialect: 'iovox',
    sender: 'ACME',
    recipient: '+447700900123',
    text: 't',
    status,
    callbackUrl: 'http://127.0.0.1:9/dlr',
    connectorId: 'c',
    updatedAt: Date.UTC(2020, 4, 6, 17, 37, 46),
    submittedAt: Date.UTC(2020, 4, 6, 17, 37, 37),
    ...extra,
  });
}

function stored(id: string) {
  return (
    db.prepare('SELECT kind, content_type, headers, body FROM webhooks WHERE order_key = ? ORDER BY id').all(id) as Array<{
      kind: string;
      content_type: string;
      headers: string;
      body: string;
    }>
  ).map((r) => ({
    ...r,
    headers: JSON.parse(r.headers) as Record<string, string>,
    body: JSON.parse(r.body) as Record<string, string>,
  }));
}

describe('enqueueIovoxReceipt', () => {
  it('an outcome that arrived with the acceptance still gets the ACKNOWLEDGED it skipped, first', async () => {
    await enqueueIovoxReceipt(callbacks, message('m1', MessageStatus.Delivered), MessageStatus.Accepted);
    expect(stored('m1').map((r) => [r.body['status'], r.body['receipt_timestamp']])).toEqual([
      ['ACKNOWLEDGED', '2020-05-06 18:37:37'],
      ['DELIVERED', '2020-05-06 18:37:46'],
    ]);
  });

  it('a refused submit is FAILED alone', async () => {
    await enqueueIovoxReceipt(callbacks, message('m2', MessageStatus.Failed, { submittedAt: null }), MessageStatus.Accepted);
    expect(stored('m2').map((r) => r.body['status'])).toEqual(['FAILED']);
  });

  it("the client's Content-Type replaces ours and the other headers travel as given", async () => {
    await enqueueIovoxReceipt(
      callbacks,
      message('m3', MessageStatus.Submitted, { meta: { callbackHeaders: { 'Content-Type': 'text/plain', 'X-Custom-Header': 'iovox' } } }),
      MessageStatus.Accepted,
    );
    expect(stored('m3')).toEqual([
      {
        kind: 'IovoxDeliveryReceipt',
        content_type: 'text/plain',
        headers: { 'X-Custom-Header': 'iovox' },
        body: expect.objectContaining({ status: 'ACKNOWLEDGED' }) as unknown,
      },
    ]);
  });

  it('nothing without a callback_url', async () => {
    await enqueueIovoxReceipt(callbacks, message('m4', MessageStatus.Delivered, { callbackUrl: null }), MessageStatus.Buffered);
    expect(stored('m4')).toEqual([]);
  });
});
