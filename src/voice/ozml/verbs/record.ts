/**
 * Record: the caller's audio to a WAV file until Duration seconds pass, a
 * FinishDigits key is pressed, or the caller hangs up. With FinishedUrl a
 * RecordCompleted notification (RecordURL, Duration, …) is POSTed; its OzML
 * reply, if it has commands, replaces the rest of the script. When the
 * caller hung up there is no call to run a reply on, so RecordCompleted
 * goes through the durable callback outbox instead.
 *
 * Format: telenode writes WAV (8 kHz 16-bit mono) whatever Format says; mp3
 * is accepted for compatibility and recorded as WAV. Inactivity is accepted
 * and not enforced in this version.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeWav } from '../../media/wav.js';
import { SAMPLE_RATE } from '../../media/audio-clip.js';
import { CONTINUE, defineVerb, type RunContext } from '../script.js';
import { OzmlError, attr, numberAttr } from '../xml.js';

type StopReason = 'finish-digit' | 'duration' | 'hangup';

export const record = defineVerb({
  name: 'Record',
  answers: true,
  parse: (el) => {
    const format = (attr(el, 'Format') ?? 'wav').trim().toLowerCase();
    if (format !== 'wav' && format !== 'mp3') throw new OzmlError(`<${el.name}> Format="${format}" must be mp3 or wav`, el.at);
    const finishDigits = (attr(el, 'FinishDigits') ?? '').replace(/\s+/g, '');
    if (!/^[0-9*#A-D]*$/i.test(finishDigits)) throw new OzmlError(`<${el.name}> FinishDigits="${finishDigits}" may only hold 0-9 * # A-D`, el.at);
    return {
      format,
      finishDigits: finishDigits.toUpperCase(),
      maxMs: numberAttr(el, 'Duration', 60, { min: 1, max: 3600 }) * 1000,
      inactivitySeconds: numberAttr(el, 'Inactivity', 0, { max: 3600 }),
      finishedUrl: attr(el, 'FinishedUrl', 'FinishedURL')?.trim() || null,
    };
  },
  async run(args, ctx) {
    const session = ctx.session;
    session.digits.clear();
    session.startRecording();
    const startedAt = Date.now();
    const { reason, digit } = await waitForStop(ctx, args.maxMs, args.finishDigits);
    const pcm = await session.stopRecording();
    session.digits.clear();
    const seconds = pcm.length / SAMPLE_RATE;
    const name = `${session.info.id}-${startedAt}.wav`;
    await mkdir(ctx.services.recordings.dir, { recursive: true });
    const path = join(ctx.services.recordings.dir, name);
    await writeFile(path, encodeWav(pcm));
    // Without a public URL the app gets the file's name in the recordings folder, never the server's own path.
    const recordUrl = ctx.services.recordings.publicUrl ? `${ctx.services.recordings.publicUrl.replace(/\/$/, '')}/${name}` : `recordings/${name}`;
    ctx.vars.set('RecordURL', recordUrl);
    ctx.log.info({ path, seconds: seconds.toFixed(1), reason }, 'recording finished');
    if (!args.finishedUrl) return reason === 'hangup' ? { kind: 'stop', why: 'ended' } : CONTINUE;
    const url = ctx.vars.substituteUrl(args.finishedUrl);
    const fields = { RecordURL: recordUrl, Duration: seconds.toFixed(1), Format: 'wav', FinishDigit: digit ?? '', FinishReason: reason };
    if (reason === 'hangup') {
      ctx.services.events.notify(url, { NotificationName: 'RecordCompleted', ...ctx.callFields(), ...fields }, session.info.id);
      return { kind: 'stop', why: 'ended' };
    }
    try {
      const script = await ctx.ask(url, 'RecordCompleted', fields);
      return script ? { kind: 'replace', script } : CONTINUE;
    } catch (err) {
      if (ctx.signal.aborted) return { kind: 'stop', why: 'ended' };
      ctx.log.warn({ err, url }, 'RecordCompleted failed; the script goes on');
      return CONTINUE;
    }
  },
});

function waitForStop(ctx: RunContext, maxMs: number, finishDigits: string): Promise<{ reason: StopReason; digit: string | null }> {
  return new Promise((resolve) => {
    const done = (reason: StopReason, digit: string | null = null) => {
      clearTimeout(timer);
      off();
      ctx.signal.removeEventListener('abort', onAbort);
      resolve({ reason, digit });
    };
    const timer = setTimeout(() => done('duration'), maxMs);
    const off = ctx.session.digits.onDigit((d) => {
      if (finishDigits.includes(d.toUpperCase())) done('finish-digit', d);
    });
    const onAbort = () => done('hangup');
    if (ctx.signal.aborted) return done('hangup');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}
