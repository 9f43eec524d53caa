import { describe, expect, it } from 'vitest';
import { iovoxStatus } from '../../../../src/iovox/api/receipts.js';
import { londonTimestamp } from '../../../../src/iovox/london-time.js';
import { parseCallbackHeaders } from '../../../../src/iovox/callback-headers.js';
import { MessageStatus } from '../../../../src/sms/message.js';

describe('receipt_timestamp: Europe/London wall-clock time', () => {
  it("is BST (UTC+1) in summer: seed 001's example time", () => {
    expect(londonTimestamp(Date.UTC(2020, 4, 6, 17, 37, 37))).toBe('2020-05-06 18:37:37');
  });

  it('is GMT (UTC+0) in winter', () => {
    expect(londonTimestamp(Date.UTC(2020, 0, 15, 12, 0, 5))).toBe('2020-01-15 12:00:05');
  });

  it('jumps 01:00 GMT → 02:00 BST on the last Sunday of March', () => {
    expect(londonTimestamp(Date.UTC(2024, 2, 31, 0, 59, 59))).toBe('2024-03-31 00:59:59');
    expect(londonTimestamp(Date.UTC(2024, 2, 31, 1, 0, 0))).toBe('2024-03-31 02:00:00');
  });

  it('repeats 01:00–02:00 on the last Sunday of October', () => {
    expect(londonTimestamp(Date.UTC(2024, 9, 27, 0, 59, 59))).toBe('2024-10-27 01:59:59');
    expect(londonTimestamp(Date.UTC(2024, 9, 27, 1, 0, 0))).toBe('2024-10-27 01:00:00');
  });

  it('writes midnight as 00, not 24', () => {
    expect(londonTimestamp(Date.UTC(2021, 11, 31, 0, 0, 0))).toBe('2021-12-31 00:00:00');
  });
});

describe('callback_url_headers', () => {
  it("parses seed 001's example", () => {
    expect(parseCallbackHeaders('Content-Type: application/json,X-Custom-Header: iovox')).toEqual({
      'Content-Type': 'application/json',
      'X-Custom-Header': 'iovox',
    });
  });

  it('keeps a comma inside a value and a colon inside a value', () => {
    expect(parseCallbackHeaders('Accept: a, b,X-Api-Token: dTpw,X-Url: http://x')).toEqual({ Accept: 'a, b', 'X-Api-Token': 'dTpw', 'X-Url': 'http://x' });
  });

  it('refuses what HTTP cannot carry', () => {
    expect(parseCallbackHeaders('no colon at all')).toBeNull();
    // headers that would steer telenode's own request, not describe the callback
    for (const name of [
      'Host',
      'Authorization',
      'Cookie',
      'Transfer-Encoding',
      'Content-Length',
      'Connection',
      'proxy-authorization',
      'X-Telenode-Signature',
      'Sec-Fetch-Site',
    ]) {
      expect(parseCallbackHeaders(`X-Ok: 1,${name}: x`), name).toBeNull();
    }
    expect(parseCallbackHeaders('X Bad: 1')).toBeNull();
    expect(parseCallbackHeaders(': empty name')).toBeNull();
    expect(parseCallbackHeaders('X-A: line\nbreak')).toBeNull();
  });
});

describe('our status → IOVOX status and raw receipt words', () => {
  const map = (status: MessageStatus, submittedAt: number | null = 1) => {
    const r = iovoxStatus({ status, submittedAt });
    return r && [r.status, r.raw.word, r.raw.reason];
  };
  it('maps every status', () => {
    expect(map(MessageStatus.Accepted, null)).toBeNull();
    expect(map(MessageStatus.Submitted)).toEqual(['ACKNOWLEDGED', 'smsc submit', '8']);
    expect(map(MessageStatus.Buffered)).toEqual(['BUFFERED', 'message buffered', '4']);
    expect(map(MessageStatus.Delivered)).toEqual(['DELIVERED', 'delivery success', '1']);
    expect(map(MessageStatus.Failed)).toEqual(['FAILED', 'delivery failure', '2']);
    expect(map(MessageStatus.Failed, null)).toEqual(['FAILED', 'smsc reject', '16']);
    expect(map(MessageStatus.Expired)).toEqual(['EXPIRED', 'delivery failure', '2']);
  });
});
