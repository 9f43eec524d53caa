/** Array: `<Array id="a"><item>x</item>…</Array>`, for ForEach. Any child tag counts as an item (Ozeki writes <item>). */
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, attr } from '../xml.js';

export const array = defineVerb({
  name: 'Array',
  answers: false,
  parse: (el) => {
    const id = attr(el, 'ID', 'Name')?.trim();
    if (!id || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(id)) throw new OzmlError(`<${el.name}> needs an id made of letters, digits and _`, el.at);
    return { id, items: el.children.map((c) => c.text) };
  },
  async run(args, ctx) {
    ctx.vars.setArray(
      args.id,
      args.items.map((item) => ctx.vars.substitute(item)),
    );
    return CONTINUE;
  },
});
