/**
 * Record: the caller's audio to a WAV file until Duration seconds pass, a
 * FinishDigits key is pressed, the caller has not spoken for Inactivity
 * seconds (voice-activity.ts), or the caller hangs up. With FinishedUrl a
 * RecordCompleted notification (RecordURL, Duration, FinishReason, …) is POSTed; its OzML
 * reply, if it has commands, replaces the rest of the script. When the
 * caller hung up there is no call to run a reply on, so RecordCompleted
 * goes through the durable callback outbox instead.
 *
 * Format: telenode writes WAV (8 kHz 16-bit mono) whatever Format says; mp3
 * is accepted for compatibility and recorded as WAV.
 */
import { CONTINUE, defineVerb } from '../script.js';
import { recordCompletedFields, saveRecording, startRecording, waitForRecordingStop } from '../recording.js';
import { OzmlError, attr, numberAttr } from '../xml.js';

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
    const started = await startRecording(session, ctx.services.recordings, args.inactivitySeconds);
    const { reason, digit } = await waitForRecordingStop(session, ctx.signal, started, args);
    const saved = await saveRecording(session, ctx.services.recordings, started);
    const { path, recordUrl, seconds } = saved;
    session.digits.clear();
    ctx.vars.set('RecordURL', recordUrl);
    ctx.log.info({ path, seconds: seconds.toFixed(1), reason }, 'recording finished');
    if (!args.finishedUrl) return reason === 'hangup' ? { kind: 'stop', why: 'ended' } : CONTINUE;
    const url = ctx.vars.substituteUrl(args.finishedUrl);
    const fields = recordCompletedFields(saved, reason, digit);
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
