/**
 * GoTo: POST a GoTo notification to the URL and continue with the OzML it
 * answers; the rest of the current document is dropped (the natural reading
 * of Ozeki's "continue with the returned OzML", ozeki-ozml.md §1.4). A GoTo
 * that fails or answers nothing runs the rest of the current document.
 */
import { CONTINUE, defineVerb } from '../script.js';
import { requireMain } from '../xml.js';

export const goTo = defineVerb({
  name: 'GoTo',
  answers: false,
  parse: (el) => ({ url: requireMain(el, 'a URL', 'Url', 'URL') }),
  async run(args, ctx) {
    const url = ctx.vars.substituteUrl(args.url);
    try {
      const script = await ctx.ask(url, 'GoTo', {});
      return script ? { kind: 'replace', script } : CONTINUE;
    } catch (err) {
      if (ctx.signal.aborted) return { kind: 'stop', why: 'ended' };
      ctx.log.warn({ err, url }, 'GoTo failed; the current script goes on');
      return CONTINUE;
    }
  },
});
