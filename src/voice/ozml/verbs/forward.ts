/**
 * Forward (Ozeki 10: ForwardCall): send a call elsewhere. Ozeki forwards
 * while it still rings; telenode has no 3xx redirect path in its SIP layer,
 * so it answers and REFERs the caller to Destination (a blind transfer).
 */
import { CONTINUE, defineVerb } from '../script.js';
import { requireMain } from '../xml.js';

export const forward = defineVerb({
  name: 'Forward',
  answers: true,
  parse: (el) => ({ destination: requireMain(el, 'a Destination', 'Destination') }),
  async run(args, ctx) {
    const destination = ctx.vars.substitute(args.destination);
    try {
      await ctx.session.transfer(destination);
    } catch (err) {
      if (ctx.signal.aborted) return { kind: 'stop', why: 'ended' };
      ctx.log.warn({ err, destination }, 'Forward failed; the script goes on');
      return CONTINUE;
    }
    ctx.changed('Transferred', { Target: destination });
    return { kind: 'stop', why: 'transferred' };
  },
});
