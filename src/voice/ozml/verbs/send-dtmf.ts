/** SendDTMF: RFC 4733 digits to the other party. Keys (or the text); Party is accepted and ignored (one party here). */
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, requireMain } from '../xml.js';

export const sendDtmf = defineVerb({
  name: 'SendDTMF',
  answers: true,
  parse: (el) => {
    const keys = requireMain(el, 'the keys to send', 'Keys').replace(/\s+/g, '');
    // $variables are checked when the command runs, after substitution.
    if (!/^[0-9*#A-D]*$/i.test(keys.replace(/\$[A-Za-z_][A-Za-z0-9_]*/g, '')))
      throw new OzmlError(`<${el.name}> Keys="${keys}" may only hold 0-9 * # A-D`, el.at);
    return { keys };
  },
  async run(args, ctx) {
    const keys = ctx.vars.substitute(args.keys).toUpperCase();
    if (!/^[0-9*#A-D]+$/.test(keys)) {
      ctx.log.warn({ keys }, 'SendDTMF: not DTMF keys after substitution; skipped');
      return CONTINUE;
    }
    await ctx.session.sendDigits(keys);
    return CONTINUE;
  },
});
