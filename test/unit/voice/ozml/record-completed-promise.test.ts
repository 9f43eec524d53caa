/**
 * A Record with a FinishedUrl keeps the RecordCompleted it promises on disk beside the recording from its start
 * (`<name>.wav.notify`) until the callback outbox holds it, so a crash cannot lose it (recording-crash.test.ts kills a
 * real daemon mid-recording). Here: what the promise says, and when it goes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOzml } from '../../../../src/voice/ozml/parse.js';
import { runScript } from '../../../../src/voice/ozml/run.js';
import { DiskFloor } from '../../../../src/voice/ozml/disk-floor.js';
import { fakeCall } from '../../../support/fake-call.js';
import { tempDir, waitUntil } from '../../../helpers/temp-dir.js';

const root = tempDir('telenode-record-promise-');
afterAll(() => root.remove());

function setup(outboxTakes = true) {
  const dir = join(root.path, `rec-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  const call = fakeCall();
  call.ctx.services.recordings.dir = dir;
  call.ctx.services.recordings.floor = new DiskFloor(dir, 0);
  const notified: { url: string; fields: Record<string, string> }[] = [];
  call.ctx.services.events = {
    notify: (url, fields) => {
      if (outboxTakes) notified.push({ url, fields });
      return Promise.resolve(outboxTakes);
    },
  };
  const promises = () => readdirSync(dir).filter((name) => name.endsWith('.wav.notify'));
  const run = runScript(parseOzml('<Response><Record Duration="60" FinishedUrl="http://app.example/done?file=$RecordURL"/></Response>'), call.ctx);
  return { dir, call, notified, promises, run };
}

describe('the RecordCompleted a Record promises', () => {
  it('is on disk while it records, with its URL ($RecordURL substituted) and the call fields, and goes once the outbox holds it', async () => {
    const { dir, call, notified, promises, run } = setup();
    await waitUntil(() => promises().length === 1, 5000, 'the promise on disk');
    const [file] = promises();
    const name = file!.replace(/\.notify$/, '');
    expect(JSON.parse(readFileSync(join(dir, file!), 'utf8'))).toEqual({
      url: `http://app.example/done?file=${encodeURIComponent(`recordings/${name}`)}`,
      fields: { NotificationName: 'RecordCompleted', CallId: 'call-1' },
      orderKey: 'call-1',
    });
    call.hangUp();
    await run;
    expect(notified).toEqual([
      {
        url: `http://app.example/done?file=${encodeURIComponent(`recordings/${name}`)}`,
        fields: expect.objectContaining({ NotificationName: 'RecordCompleted', CallId: 'call-1', FinishReason: 'hangup', Duration: '1.0' }),
      },
    ]);
    expect(promises()).toEqual([]);
    expect(existsSync(join(dir, name))).toBe(true);
  });

  it('stays on disk while the callback outbox cannot take it, for the next start to send', async () => {
    const { call, promises, run } = setup(false);
    await waitUntil(() => promises().length === 1, 5000, 'the promise on disk');
    call.hangUp();
    await run;
    expect(promises()).toHaveLength(1);
  });

  it('goes with a recording that could not be written: there is nothing to tell of', async () => {
    const { call, notified, promises, run } = setup();
    call.failRecording = true;
    await waitUntil(() => promises().length === 1, 5000, 'the promise on disk');
    call.hangUp();
    await run.catch(() => undefined);
    expect(promises()).toEqual([]);
    expect(notified).toEqual([]);
  });
});
