/**
 * ForEach: runs its commands once per item of an Array (source="a"), with
 * $item set to the item (and $index to its 0-based position, a telenode
 * addition). Any outcome other than continue (Hangup, GoTo …) ends the loop.
 */
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, attr } from '../xml.js';

export const forEach = defineVerb({
  name: 'ForEach',
  answers: false,
  parse: (el, p) => {
    const source = attr(el, 'Source')?.trim().replace(/^\$/, '');
    if (!source) throw new OzmlError(`<${el.name}> needs source="array name"`, el.at);
    return { source, commands: p.parseBlock(el.children) };
  },
  async run(args, ctx) {
    const items = ctx.vars.getArray(args.source);
    if (!items) {
      ctx.log.warn({ source: args.source }, 'ForEach: no such Array; skipped');
      return CONTINUE;
    }
    const outer = ctx.vars;
    for (const [index, item] of items.entries()) {
      const scope = outer.child();
      scope.local('item', item);
      scope.local('index', String(index));
      ctx.vars = scope;
      try {
        const outcome = await ctx.runBlock(args.commands);
        if (outcome.kind !== 'continue') return outcome;
      } finally {
        ctx.vars = outer;
      }
    }
    return CONTINUE;
  },
});
