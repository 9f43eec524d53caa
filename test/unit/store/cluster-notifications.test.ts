/**
 * What a node makes of a notification on the cluster's channel (store/cluster-repo.ts). Anyone who may connect to
 * the database can NOTIFY on it, so a payload that is not one of ours, or is ours but malformed, means nothing.
 */
import { describe, expect, it } from 'vitest';
import { bindSlotsChangedFor, callbackHandedTo, freedWork } from '../../../src/store/cluster-repo.js';

describe('cluster notifications', () => {
  it('reads the payloads nodes send', () => {
    expect(freedWork('messages:node-a')).toEqual({ work: 'messages', nodeId: 'node-a' });
    expect(freedWork('left:node-b')).toEqual({ work: 'left', nodeId: 'node-b' });
    expect(bindSlotsChangedFor('binds:node-c')).toBe('node-c');
    expect(callbackHandedTo('callbacks:node-a:42')).toEqual({ nodeId: 'node-a', id: 42 });
    // A node id may itself hold a colon: the id is what follows the last one.
    expect(callbackHandedTo('callbacks:rack:1:7')).toEqual({ nodeId: 'rack:1', id: 7 });
  });

  it('makes nothing of anything else', () => {
    for (const payload of ['', 'messages', 'binds:', 'callbacks:', 'callbacks:node-a', 'callbacks::5', 'hello:world', 'x'.repeat(8000)]) {
      expect([payload.slice(0, 20), freedWork(payload), bindSlotsChangedFor(payload)]).toEqual([payload.slice(0, 20), null, null]);
      expect(callbackHandedTo(payload)).toBeNull();
    }
    for (const id of ['0', '-3', '1.5', 'NaN', '99999999999999999999', '1e3', ' 4'])
      expect([id, callbackHandedTo(`callbacks:node-a:${id}`)]).toEqual([id, null]);
  });
});
