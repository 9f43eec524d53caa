/**
 * Beep: Ozeki's page for it is not readable (ozeki-ozml.md §2), so telenode
 * plays a 1 kHz tone for 400 ms; Frequency (Hz) and Duration (ms) may change it.
 */
import { AudioClip } from '../../media/audio-clip.js';
import { CONTINUE, defineVerb } from '../script.js';
import { numberAttr } from '../xml.js';

export const beep = defineVerb({
  name: 'Beep',
  answers: true,
  parse: (el) => ({ frequencyHz: numberAttr(el, 'Frequency', 1000, { min: 100, max: 3900 }), ms: numberAttr(el, 'Duration', 400, { min: 20, max: 10_000 }) }),
  async run(args, ctx) {
    await ctx.session.playClip(AudioClip.tone(args.frequencyHz, args.ms), { bargeIn: ctx.bargeIn });
    return CONTINUE;
  },
});
