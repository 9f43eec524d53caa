/**
 * Call (ozeki-ozml.md "Call"): start an outbound call from a script —
 * `<Call Url="http://app/connected" CallerId="3000">2310</Call>`; `Dialed`
 * (or `Dialled`, or the text), `CallerId`, `CallerDisplayName`, `Url`
 * (CallConnected, whose OzML runs on the new call), `ErrorUrl`, `RingTime`.
 * Dialled as Ozeki's Call command dials it (a number through
 * voice.outbound.trunk, a SIP URI as it is). The new call is independent: the
 * script goes on at once and does not wait for it to be answered.
 */
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, attr, mainParameter, numberAttr } from '../xml.js';

export const call = defineVerb({
  name: 'Call',
  answers: false,
  parse: (el) => {
    const dialed = mainParameter(el, 'Dialed', 'Dialled')?.trim();
    if (!dialed) throw new OzmlError(`<${el.name}> needs the number to dial (Dialed or the text)`, el.at);
    return {
      dialed,
      callerId: attr(el, 'CallerId')?.trim() || null,
      callerDisplayName: attr(el, 'CallerDisplayName')?.trim() || null,
      url: attr(el, 'Url')?.trim() || null,
      errorUrl: attr(el, 'ErrorUrl')?.trim() || null,
      ringSeconds: attr(el, 'RingTime') === undefined ? null : numberAttr(el, 'RingTime', 60, { min: 1, max: 600, integer: true }),
    };
  },
  async run(args, ctx) {
    const dialer = ctx.services.dialer;
    const v = (s: string | null) => (s === null ? null : ctx.vars.substitute(s));
    if (!dialer) {
      ctx.log.warn({ dialed: args.dialed }, 'script Call skipped: this node cannot place calls');
      return CONTINUE;
    }
    const dialed = v(args.dialed)!;
    dialer
      .place({
        dialed,
        callerId: v(args.callerId),
        callerDisplayName: v(args.callerDisplayName),
        url: v(args.url),
        errorUrl: v(args.errorUrl),
        ringSeconds: args.ringSeconds,
      })
      .then(
        ({ callId }) => ctx.log.info({ dialed, callId }, 'script Call answered'),
        (err: unknown) => ctx.log.warn({ err, dialed }, 'script Call not connected'),
      );
    return CONTINUE;
  },
});
