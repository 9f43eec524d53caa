/** Var: `<Var id="name">value</Var>` (or Value="…"); later text uses it as $name. */
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, attr, mainParameter } from '../xml.js';

export const variable = defineVerb({
  name: 'Var',
  answers: false,
  parse: (el) => {
    const id = attr(el, 'ID', 'Name')?.trim();
    if (!id || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(id)) throw new OzmlError(`<${el.name}> needs an id made of letters, digits and _`, el.at);
    return { id, value: mainParameter(el, 'Value') ?? '' };
  },
  async run(args, ctx) {
    ctx.vars.set(args.id, ctx.vars.substitute(args.value));
    return CONTINUE;
  },
});
