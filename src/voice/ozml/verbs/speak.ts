/** Speak: text-to-speech into the call. Text (or the element's text), Language, Voice. */
import { CONTINUE, defineVerb } from '../script.js';
import { attr, requireMain } from '../xml.js';

export const speak = defineVerb({
  name: 'Speak',
  answers: true,
  parse: (el) => ({ text: requireMain(el, 'the text to speak', 'Text'), language: attr(el, 'Language') ?? null, voice: attr(el, 'Voice') ?? null }),
  async prepare(args, ctx) {
    await ctx.session.prepareSpeech(ctx.vars.substitute(args.text), { language: args.language, voice: args.voice });
  },
  async run(args, ctx) {
    const text = ctx.vars.substitute(args.text);
    await ctx.session.speak(text, { language: args.language, voice: args.voice }, { bargeIn: ctx.bargeIn });
    return CONTINUE;
  },
});
