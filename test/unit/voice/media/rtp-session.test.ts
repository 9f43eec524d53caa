/**
 * The main thread's side of a call's media, against a stand-in for the worker: a silence the worker reported for a
 * recording that has since ended must not end the next one (Record's Inactivity).
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/shared/log.js';
import type { HostMessage } from '../../../../src/voice/media/media-protocol.js';
import { RtpSession } from '../../../../src/voice/media/rtp-session.js';

describe('RtpSession recordings', () => {
  it("hears a recording's silence only for that recording, once", () => {
    const posted: HostMessage[] = [];
    const session = new RtpSession((m) => posted.push(m), 1, 40000, {
      remote: { address: '127.0.0.1', port: 9 },
      law: 'PCMU',
      payloadType: 0,
      dtmfPayloadType: 101,
      log: silentLogger(),
    });
    const heard: string[] = [];
    const started = () => posted.filter((m): m is Extract<HostMessage, { op: 'startRecording' }> => m.op === 'startRecording').at(-1)!;

    session.startRecording('/tmp/first.wav', { afterMs: 2000, onSilence: () => heard.push('first') });
    const first = started();
    expect(first.silenceMs).toBe(2000);
    void session.stopRecording();
    session.startRecording('/tmp/second.wav', { afterMs: 3000, onSilence: () => heard.push('second') });
    const second = started();
    expect(second.request).not.toBe(first.request);

    session.silent(first.request); // the worker's report for the first, arriving late
    expect(heard).toEqual([]);
    session.silent(second.request);
    session.silent(second.request);
    expect(heard).toEqual(['second']);
  });
});
