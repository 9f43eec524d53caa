/**
 * MoveFile and DeleteFile (issue 19 item 4): files of the recordings folder only, named as RecordURL names
 * them or by plain name; nothing outside the folder is touched, an existing file is never overwritten.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOzml } from '../../../../src/voice/ozml/parse.js';
import { runScript } from '../../../../src/voice/ozml/run.js';
import { fakeCall } from '../../../support/fake-call.js';
import { tempDir } from '../../../helpers/temp-dir.js';

const root = tempDir('telenode-recording-files-');
afterAll(() => root.remove());

function setup(publicUrl: string | null = null) {
  const dir = join(root.path, `rec-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  const call = fakeCall();
  call.ctx.services.recordings.dir = dir;
  call.ctx.services.recordings.publicUrl = publicUrl;
  const run = (body: string) => runScript(parseOzml(`<Response>${body}</Response>`), call.ctx);
  return { dir, call, run };
}

describe('MoveFile and DeleteFile', () => {
  it('renames a recording named as RecordURL names it, and sets $FileURL; DeleteFile removes one', async () => {
    const { dir, call, run } = setup();
    writeFileSync(join(dir, 'call-1-1.wav'), 'RIFF one');
    writeFileSync(join(dir, 'old.wav'), 'RIFF two');
    call.ctx.vars.set('RecordURL', 'recordings/call-1-1.wav');
    call.ctx.vars.set('OrderId', '1234');
    await run('<MoveFile Source="$RecordURL" Destination="order-$OrderId.wav"/><DeleteFile>old.wav</DeleteFile>');
    expect(readFileSync(join(dir, 'order-1234.wav'), 'utf8')).toBe('RIFF one');
    expect(existsSync(join(dir, 'call-1-1.wav'))).toBe(false);
    expect(existsSync(join(dir, 'old.wav'))).toBe(false);
    expect(call.ctx.vars.get('FileURL')).toBe('recordings/order-1234.wav');
  });

  it('takes public URLs of the recordings folder too', async () => {
    const { dir, call, run } = setup('https://files.example/rec/');
    writeFileSync(join(dir, 'a.wav'), 'a');
    await run('<MoveFile From="https://files.example/rec/a.wav" To="b.wav"/>');
    expect(existsSync(join(dir, 'b.wav'))).toBe(true);
    expect(call.ctx.vars.get('FileURL')).toBe('https://files.example/rec/b.wav');
  });

  it('never reaches outside the folder nor overwrites: such a command is logged and the script goes on', async () => {
    const { dir, call, run } = setup();
    const outside = join(root.path, 'outside.txt');
    writeFileSync(outside, 'keep me');
    writeFileSync(join(dir, 'a.wav'), 'a');
    writeFileSync(join(dir, 'b.wav'), 'b');
    const end = await run(
      [
        '<DeleteFile>../outside.txt</DeleteFile>',
        `<DeleteFile File="${outside}"/>`,
        '<DeleteFile>recordings/../../outside.txt</DeleteFile>',
        '<MoveFile Source="a.wav" Destination="../moved.wav"/>',
        '<MoveFile Source="a.wav" Destination="b.wav"/>',
        '<DeleteFile>.hidden</DeleteFile>',
        '<SendSms Recipient="+1">still running</SendSms>',
      ].join(''),
    );
    expect(end).toBe('end-of-script');
    expect(call.events).toContain('sms:+1 still running');
    expect(readFileSync(outside, 'utf8')).toBe('keep me');
    expect(readFileSync(join(dir, 'a.wav'), 'utf8')).toBe('a');
    expect(readFileSync(join(dir, 'b.wav'), 'utf8')).toBe('b');
    expect(existsSync(join(root.path, 'moved.wav'))).toBe(false);
  });

  it('refuses a MoveFile without both files when the script is parsed', () => {
    expect(() => parseOzml('<Response><MoveFile Source="a.wav"/></Response>')).toThrow(/needs Source and Destination/);
    expect(() => parseOzml('<Response><DeleteFile/></Response>')).toThrow(/needs the file to delete/);
  });
});
