/** Delay: wait N seconds (Time attribute or text). Silence on an answered call; plain waiting while it rings. */
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, mainParameter } from '../xml.js';
import { sleep } from '../sleep.js';

export const delay = defineVerb({
  name: 'Delay',
  answers: false,
  parse: (el) => {
    const raw = mainParameter(el, 'Time') ?? '1';
    const seconds = Number(raw);
    if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600)
      throw new OzmlError(`<${el.name}> "${raw}" is not a number of seconds between 0 and 3600`, el.at);
    return { ms: Math.round(seconds * 1000) };
  },
  async run(args, ctx) {
    if (ctx.session.state === 'answered') await ctx.session.pause(args.ms);
    else await sleep(args.ms, ctx.signal);
    return CONTINUE;
  },
});
