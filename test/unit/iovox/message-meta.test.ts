/** IOVOX's fields in a message's meta: stored only when set, read back typed, wrong types from elsewhere left out. */
import { describe, expect, it } from 'vitest';
import { iovoxMetaOf, iovoxMetaToStore } from '../../../src/iovox/message-meta.js';

describe('IOVOX message meta', () => {
  it('stores only what is set, and reads it back as it was', () => {
    const alert = { when: 'failed' as const, recipients: ['ops@example.test'], template: null, from: null, fromName: null, contactName: 'Bob' };
    const meta = iovoxMetaToStore({ iovoxRule: 'r1', callbackHeaders: { 'X-Trace': 'abc' }, failoverLinkId: 'link-1', smsAlert: alert });
    expect(iovoxMetaOf({ meta })).toEqual({ iovoxRule: 'r1', callbackHeaders: { 'X-Trace': 'abc' }, failoverLinkId: 'link-1', smsAlert: alert });
    expect(iovoxMetaToStore({ callbackHeaders: {} })).toEqual({});
  });

  it('leaves out fields of the wrong type (another dialect or an old row wrote them)', () => {
    const meta = { failoverLinkId: 42, callbackHeaders: { 'X-A': 1 }, smsAlert: { when: 'sometimes' }, storeBody: false };
    expect(iovoxMetaOf({ meta })).toEqual({});
  });
});
