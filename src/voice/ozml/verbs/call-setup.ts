/**
 * CallSetup (ozeki-ozml.md "CallSetup", Ozeki 10): connect two numbers — `<CallSetup Caller="+3612345" Callee="2002"/>`;
 * `Caller`, `Callee` (both required), `CallerId`, `ErrorUrl`, `RingTime`. telenode calls the caller and, once they
 * answer, transfers them to the callee (REFER), as the CallSetup command does. Like Call, the new call is
 * independent: the script goes on at once.
 */
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, attr, numberAttr } from '../xml.js';

export const callSetup = defineVerb({
  name: 'CallSetup',
  answers: false,
  parse: (el) => {
    const caller = attr(el, 'Caller')?.trim();
    const callee = attr(el, 'Callee')?.trim();
    if (!caller || !callee) throw new OzmlError(`<${el.name}> needs both Caller and Callee`, el.at);
    return {
      caller,
      callee,
      callerId: attr(el, 'CallerId')?.trim() || null,
      errorUrl: attr(el, 'ErrorUrl')?.trim() || null,
      ringSeconds: attr(el, 'RingTime') === undefined ? null : numberAttr(el, 'RingTime', 60, { min: 1, max: 600, integer: true }),
    };
  },
  async run(args, ctx) {
    const dialer = ctx.services.dialer;
    if (!dialer) {
      ctx.log.warn({ caller: args.caller }, 'script CallSetup skipped: this node cannot place calls');
      return CONTINUE;
    }
    const v = (s: string | null) => (s === null ? null : ctx.vars.substitute(s));
    const caller = v(args.caller)!;
    const callee = v(args.callee)!;
    dialer.setUp({ caller, callee, callerId: v(args.callerId), errorUrl: v(args.errorUrl), ringSeconds: args.ringSeconds }).then(
      ({ callId }) => ctx.log.info({ caller, callee, callId }, 'script CallSetup: the caller answered'),
      (err: unknown) => ctx.log.warn({ err, caller }, 'script CallSetup: the caller could not be reached'),
    );
    return CONTINUE;
  },
});
