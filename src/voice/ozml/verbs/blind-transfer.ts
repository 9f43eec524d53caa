/**
 * BlindTransfer: REFER the caller to Target (or the text) and leave the call
 * once the transfer is accepted; when it fails, the script goes on (Ozeki 10's
 * example speaks "transfer failed" after it).
 */
import { CONTINUE, defineVerb } from '../script.js';
import { requireMain } from '../xml.js';

export const blindTransfer = defineVerb({
  name: 'BlindTransfer',
  answers: true,
  parse: (el) => ({ target: requireMain(el, 'a Target', 'Target') }),
  async run(args, ctx) {
    const target = ctx.vars.substitute(args.target);
    try {
      await ctx.session.transfer(target);
    } catch (err) {
      if (ctx.signal.aborted) return { kind: 'stop', why: 'ended' };
      ctx.log.warn({ err, target }, 'BlindTransfer failed; the script goes on');
      return CONTINUE;
    }
    ctx.changed('Transferred', { Target: target });
    return { kind: 'stop', why: 'transferred' };
  },
});
