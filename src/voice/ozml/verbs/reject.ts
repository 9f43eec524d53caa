/**
 * Reject: the call is never answered. Only valid as the first command of a
 * document (Ozeki p_4691); anywhere else the parser refuses the script.
 * telenode answers 603 Decline; Status may choose another 4xx-6xx code.
 */
import { reasonPhrase } from '../../sip/reason-phrases.js';
import { defineVerb } from '../script.js';
import { OzmlError, numberAttr } from '../xml.js';

export const reject = defineVerb({
  name: 'Reject',
  answers: false,
  parse: (el, p) => {
    if (!p.first) throw new OzmlError(`<${el.name}> is only allowed as the first command`, el.at);
    return { status: numberAttr(el, 'Status', 603, { min: 400, max: 699, integer: true }) };
  },
  async run(args, ctx) {
    if (ctx.session.state === 'new') ctx.session.reject(args.status, reasonPhrase(args.status));
    return { kind: 'stop', why: 'rejected' };
  },
});
