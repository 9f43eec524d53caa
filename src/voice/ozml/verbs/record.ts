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
import { dropRecordCompletedPromise, notifyRecordCompleted } from '../record-completed-promise.js';
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
    const finishedUrl = args.finishedUrl;
    const promiseFor = finishedUrl
      ? (recordUrl: string) => {
          // A FinishedUrl may name the recording ($RecordURL), which is set for the script only once it ends.
          const scope = ctx.vars.child();
          scope.local('RecordURL', recordUrl);
          return { url: scope.substituteUrl(finishedUrl), fields: { NotificationName: 'RecordCompleted', ...ctx.callFields() }, orderKey: session.info.id };
        }
      : null;
    const started = await startRecording(session, ctx.services.recordings, args.inactivitySeconds, promiseFor);
    const promise = started.promise;
    const { reason, digit } = await waitForRecordingStop(session, ctx.signal, started, args);
    const saved = await saveRecording(session, ctx.services.recordings, started);
    const { path, recordUrl, seconds } = saved;
    session.digits.clear();
    ctx.vars.set('RecordURL', recordUrl);
    ctx.log.info({ path, seconds: seconds.toFixed(1), reason }, 'recording finished');
    if (!promise) return reason === 'hangup' ? { kind: 'stop', why: 'ended' } : CONTINUE;
    const fields = recordCompletedFields(saved, reason, digit);
    if (reason === 'hangup') {
      await notifyRecordCompleted(ctx.services.events, path, promise, fields);
      return { kind: 'stop', why: 'ended' };
    }
    try {
      const script = await ctx.ask(promise.url, 'RecordCompleted', fields);
      return script ? { kind: 'replace', script } : CONTINUE;
    } catch (err) {
      if (ctx.signal.aborted) return { kind: 'stop', why: 'ended' };
      ctx.log.warn({ err, url: promise.url }, 'RecordCompleted failed; the script goes on');
      return CONTINUE;
    } finally {
      // The app was asked on the live call (what it answered runs on it): the promise is kept either way.
      await dropRecordCompletedPromise(path);
    }
  },
});
