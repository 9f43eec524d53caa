/**
 * Play: a WAV file (relative to voice.prompts.baseDir) or an HTTP URL.
 * Repeat loops it until the caller hangs up, a key stops it inside a
 * UserInput, or Timeout (seconds, Ozeki 10) runs out.
 */
import { CONTINUE, defineVerb } from '../script.js';
import { booleanAttr, numberAttr, requireMain } from '../xml.js';

export const play = defineVerb({
  name: 'Play',
  answers: true,
  parse: (el) => ({
    source: requireMain(el, 'an audio file or URL', 'AudioFile'),
    repeat: booleanAttr(el, 'Repeat', false),
    timeoutMs: numberAttr(el, 'Timeout', 0, { max: 86_400 }) * 1000,
  }),
  async prepare(args, ctx) {
    await ctx.session.preparePrompt(ctx.vars.substituteLocation(args.source));
  },
  async run(args, ctx) {
    const source = ctx.vars.substituteLocation(args.source);
    const deadline = args.timeoutMs > 0 ? Date.now() + args.timeoutMs : Infinity;
    const timer = args.timeoutMs > 0 ? AbortSignal.timeout(args.timeoutMs) : null;
    const stopOnTimeout = timer ? () => ctx.session.rtpSession?.stopPlayback() : null;
    if (timer && stopOnTimeout) timer.addEventListener('abort', stopOnTimeout, { once: true });
    try {
      do {
        const outcome = await ctx.session.play(source, { bargeIn: ctx.bargeIn });
        if (outcome === 'stopped' || ctx.signal.aborted) break;
      } while (args.repeat && Date.now() < deadline);
    } finally {
      if (timer && stopOnTimeout) timer.removeEventListener('abort', stopOnTimeout);
    }
    return CONTINUE;
  },
});
